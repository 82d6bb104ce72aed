"""User behaviour: sessions, the funnel view -> favourite/cart -> buy, page paths before a
purchase, hourly and weekday activity, and a cohort retention matrix.

Every analysis reads one shape of clickstream: (user, ts, action, step), where action is
one of view, fav, cart, buy and step names where the user was (a page type in the shop,
the action itself in data sets without pages). Sessions are rebuilt from the events by a
gap of inactivity, so data sets without session ids (Taobao) are treated like the shop.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ACTIONS = ("view", "fav", "cart", "buy")
FUNNEL = ("view", "fav_or_cart", "buy")


@dataclass(frozen=True)
class BehaviourParams:
    session_gap_minutes: int = 30
    path_length: int = 4  # steps before a purchase that make up its path
    top_paths: int = 20
    cohort_periods: int = 7  # days after the first one


@dataclass
class BehaviourResult:
    sessions: int
    funnel: pd.DataFrame  # stage, users, sessions, conversion
    paths: pd.DataFrame  # path, purchases, rank
    activity: pd.DataFrame  # kind, slot, events
    retention: pd.DataFrame  # cohort, period, users, retained, retention


def shop_clickstream(spark, days: list[str] | None = None):
    """The shop's logged-in clickstream plus its orders (a buy at the order time)."""
    from pyspark.sql import functions as F

    events = spark.table("dwd.shop_events").where(F.col("user_id").isNotNull())
    orders = spark.table("dwd.shop_orders")
    if days:
        events, orders = events.where(F.col("dt").isin(days)), orders.where(F.col("dt").isin(days))
    action = (
        F.when(F.col("event_type") == "favourite", "fav")
        .when(F.col("event_type") == "cart_add", "cart")
        .otherwise("view")
    )
    clicks = events.select(
        F.col("user_id").alias("user"),
        F.col("event_time").alias("ts"),
        action.alias("action"),
        F.col("page_type").alias("step"),
    )
    buys = orders.select(
        F.col("user_id").alias("user"),
        F.col("order_time").alias("ts"),
        F.lit("buy").alias("action"),
        F.lit("buy").alias("step"),
    )
    return clicks.unionByName(buys)


def taobao_clickstream(spark, table: str = "dwd.taobao_user_behavior", timezone: str = "Asia/Shanghai"):
    """Taobao UserBehavior: pv, fav, cart, buy; no pages, so the step is the action. Times are
    shifted to the data set's own zone so hours and days are China's."""
    from pyspark.sql import functions as F

    action = F.when(F.col("behavior_type") == "pv", "view").otherwise(F.col("behavior_type"))
    return spark.table(table).select(
        F.col("user_id").alias("user"),
        F.from_utc_timestamp(F.col("timestamp"), timezone).alias("ts"),
        action.alias("action"),
        action.alias("step"),
    )


def sessionise(clicks, gap_minutes: int = 30):
    """Adds `session` (user-unique, increasing) and `seq` (order within the session): a new session
    starts after more than gap_minutes of inactivity."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_user = Window.partitionBy("user").orderBy("ts", "order")
    # Within the same second a buy comes after the clicks that led to it.
    ordered = clicks.withColumn("order", F.when(F.col("action") == "buy", 1).otherwise(0))
    previous = F.lag("ts").over(by_user)
    new = (
        F.when(previous.isNull(), 1)
        .when(F.col("ts").cast("long") - previous.cast("long") > gap_minutes * 60, 1)
        .otherwise(0)
    )
    marked = ordered.withColumn("new_session", new)
    numbered = marked.withColumn(
        "session_no", F.sum("new_session").over(by_user.rowsBetween(Window.unboundedPreceding, 0))
    )
    session = F.concat_ws("-", F.col("user").cast("string"), F.col("session_no").cast("string"))
    within = Window.partitionBy("user", "session_no").orderBy("ts", "order")
    return (
        numbered.withColumn("session", session)
        .withColumn("seq", F.row_number().over(within))
        .drop("order", "new_session")
    )


def funnel(sessions) -> pd.DataFrame:
    """Users and sessions reaching each stage; conversion against the stage before."""
    from pyspark.sql import functions as F

    flags = sessions.groupBy("user", "session").agg(
        F.max(F.when(F.col("action") == "view", 1).otherwise(0)).alias("view"),
        F.max(F.when(F.col("action").isin("fav", "cart"), 1).otherwise(0)).alias("fav_or_cart"),
        F.max(F.when(F.col("action") == "buy", 1).otherwise(0)).alias("buy"),
    )
    # A stage counts when it and every stage before it were reached.
    reached = flags.select(
        "user",
        F.col("view").alias("s_view"),
        (F.col("view") * F.col("fav_or_cart")).alias("s_fav_or_cart"),
        (F.col("view") * F.col("fav_or_cart") * F.col("buy")).alias("s_buy"),
    )
    row = reached.agg(
        *[F.sum(f"s_{s}").alias(f"sessions_{s}") for s in FUNNEL],
        *[F.countDistinct(F.when(F.col(f"s_{s}") == 1, F.col("user"))).alias(f"users_{s}") for s in FUNNEL],
    ).first()
    out = pd.DataFrame(
        {
            "stage": list(FUNNEL),
            "users": [int(row[f"users_{s}"] or 0) for s in FUNNEL],
            "sessions": [int(row[f"sessions_{s}"] or 0) for s in FUNNEL],
        }
    )
    previous = out["users"].shift(1).fillna(out["users"].iloc[0])
    out["conversion"] = (out["users"] / previous.where(previous > 0)).fillna(0.0)
    return out


def top_paths(sessions, length: int = 4, top: int = 20) -> pd.DataFrame:
    """The most common sequences of the `length` steps before each purchase (within its session;
    repeated steps collapsed)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    within = Window.partitionBy("session").orderBy("seq").rowsBetween(-length, -1)
    before = sessions.withColumn("steps", F.collect_list("step").over(within)).where(F.col("action") == "buy")
    # Drop consecutive repeats (product > product > cart reads as product > cart).
    collapsed = F.filter(F.col("steps"), lambda x, i: (i == 0) | (x != F.element_at(F.col("steps"), i)))
    paths = before.select(F.array_join(F.concat(collapsed, F.array(F.lit("buy"))), " > ").alias("path"))
    counted = paths.groupBy("path").agg(F.count("*").alias("purchases")).orderBy(F.desc("purchases"), "path").limit(top)
    out = counted.toPandas()
    out["rank"] = range(1, len(out) + 1)
    return out


def activity(sessions) -> pd.DataFrame:
    """Events per hour of day (0-23) and per weekday (1 = Monday ... 7 = Sunday)."""
    from pyspark.sql import functions as F

    hours = sessions.groupBy(F.hour("ts").alias("slot")).count().withColumn("kind", F.lit("hour"))
    weekdays = (
        sessions.groupBy(((F.dayofweek("ts") + 5) % 7 + 1).alias("slot")).count().withColumn("kind", F.lit("weekday"))
    )
    out = hours.unionByName(weekdays).toPandas().rename(columns={"count": "events"})
    return out[["kind", "slot", "events"]].sort_values(["kind", "slot"]).reset_index(drop=True)


def cohort_retention(sessions, periods: int = 7) -> pd.DataFrame:
    """Users by first active day (cohort) and the share of them active `period` days later."""
    from pyspark.sql import functions as F

    active = sessions.select("user", F.to_date("ts").alias("day")).distinct()
    first = active.groupBy("user").agg(F.min("day").alias("cohort"))
    joined = (
        active.join(first, "user").withColumn("period", F.datediff("day", "cohort")).where(F.col("period") <= periods)
    )
    counts = joined.groupBy("cohort", "period").agg(F.countDistinct("user").alias("retained")).toPandas()
    sizes = counts[counts["period"] == 0].set_index("cohort")["retained"]
    counts["users"] = counts["cohort"].map(sizes)
    counts["retention"] = counts["retained"] / counts["users"]
    counts["cohort"] = counts["cohort"].astype(str)
    out = counts[["cohort", "period", "users", "retained", "retention"]]
    return out.sort_values(["cohort", "period"]).reset_index(drop=True)


def analyse(clicks, params: BehaviourParams | None = None) -> BehaviourResult:
    params = params or BehaviourParams()
    sessions = sessionise(clicks, params.session_gap_minutes).cache()
    try:
        return BehaviourResult(
            sessions=sessions.select("session").distinct().count(),
            funnel=funnel(sessions),
            paths=top_paths(sessions, params.path_length, params.top_paths),
            activity=activity(sessions),
            retention=cohort_retention(sessions, params.cohort_periods),
        )
    finally:
        sessions.unpersist()
