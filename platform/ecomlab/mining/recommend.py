"""Personalised recommendation: ALS with implicit feedback, checked against popularity.

Interactions are weighted by action (view < favourite < cart < buy) and summed per user
and item. The split is by time: everything before the cut trains, what follows tests.
Both the ALS model and the popularity baseline recommend 10 items per user, leaving out
items the user already had in training (by default), and are scored in the same run by
precision@10, recall@10 and NDCG@10 against the items each user touched in the test
period and had not seen before. Users unknown to the model (cold start) get the
popular items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DEFAULT_WEIGHTS = {"view": 1.0, "fav": 3.0, "cart": 4.0, "buy": 6.0}


class RecommendError(ValueError):
    """Input or parameters the recommender cannot use, naming what is wrong."""


@dataclass(frozen=True)
class RecommendParams:
    # Tuned on the simulated shop (rank 10-32, regParam 0.05-0.3, alpha 1-20 tried).
    rank: int = 20
    reg_param: float = 0.1
    alpha: float = 2.0
    max_iter: int = 12
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    test_fraction: float = 0.2  # share of the time span at its end that tests
    k: int = 10
    top_n: int = 20  # recommendations stored per user
    exclude_seen: bool = True
    seed: int = 7


@dataclass
class RecommendResult:
    evaluation: pd.DataFrame  # model, precision_at_10, recall_at_10, ndcg_at_10, users
    recommendations: pd.DataFrame  # user_id, rank, item_id, score, source
    cut: object
    train_interactions: int
    test_users: int


def shop_interactions(spark, days: list[str] | None = None):
    """(user_id, item_id, action, ts) from the shop's clickstream and order lines."""
    from pyspark.sql import functions as F

    events = spark.table("dwd.shop_events").where(F.col("user_id").isNotNull() & F.col("item_id").isNotNull())
    orders, lines = spark.table("dwd.shop_orders"), spark.table("dwd.shop_order_items")
    if days:
        events = events.where(F.col("dt").isin(days))
        orders, lines = orders.where(F.col("dt").isin(days)), lines.where(F.col("dt").isin(days))
    action = (
        F.when(F.col("event_type") == "favourite", "fav")
        .when(F.col("event_type") == "cart_add", "cart")
        .otherwise("view")
    )
    clicks = events.select("user_id", "item_id", action.alias("action"), F.col("event_time").alias("ts"))
    buys = lines.join(orders.select("order_id", "user_id", "order_time"), "order_id").select(
        "user_id", "item_id", F.lit("buy").alias("action"), F.col("order_time").alias("ts")
    )
    return clicks.unionByName(buys)


def taobao_interactions(spark, table: str = "dwd.taobao_user_behavior"):
    from pyspark.sql import functions as F

    action = F.when(F.col("behavior_type") == "pv", "view").otherwise(F.col("behavior_type"))
    return spark.table(table).select("user_id", "item_id", action.alias("action"), F.col("timestamp").alias("ts"))


def _weighted(interactions, weights: dict[str, float]):
    from pyspark.sql import functions as F

    weight = F.lit(0.0)
    for action, value in weights.items():
        weight = F.when(F.col("action") == action, F.lit(float(value))).otherwise(weight)
    return (
        interactions.withColumn("w", weight)
        .where(F.col("w") > 0)
        .groupBy("user_id", "item_id")
        .agg(F.sum("w").alias("rating"))
    )


def recommend(spark, interactions, params: RecommendParams | None = None, users: list[int] | None = None):
    """Fit on the training period, evaluate both models on the test period, then refit on
    everything and store top-N for every user (`users`, default: those seen)."""
    from pyspark.sql import functions as F

    params = params or RecommendParams()
    interactions = interactions.select(
        F.col("user_id").cast("int").alias("user_id"), F.col("item_id").cast("int").alias("item_id"), "action", "ts"
    ).cache()
    try:
        bounds = interactions.agg(F.min("ts").alias("lo"), F.max("ts").alias("hi")).first()
        if bounds["lo"] is None:
            raise RecommendError("no interactions to learn from")
        cut = bounds["hi"] - (bounds["hi"] - bounds["lo"]) * params.test_fraction
        train = _weighted(interactions.where(F.col("ts") < F.lit(cut)), params.weights).toPandas()
        test = interactions.where(F.col("ts") >= F.lit(cut)).select("user_id", "item_id").distinct().toPandas()
        everything = _weighted(interactions, params.weights).toPandas()
    finally:
        interactions.unpersist()
    if train.empty:
        raise RecommendError("the training period holds no interactions")
    evaluation, test_users = evaluate(spark, train, test, params)
    model = _fit(spark, everything, params)
    all_users = users if users is not None else sorted(everything["user_id"].unique())
    recs = top_n(model, everything, all_users, params)
    return RecommendResult(evaluation, recs, cut, len(train), test_users)


def _fit(spark, ratings: pd.DataFrame, params: RecommendParams):
    from pyspark.ml.recommendation import ALS

    frame = spark.createDataFrame(ratings[["user_id", "item_id", "rating"]])
    als = ALS(
        rank=params.rank,
        regParam=params.reg_param,
        alpha=params.alpha,
        maxIter=params.max_iter,
        implicitPrefs=True,
        userCol="user_id",
        itemCol="item_id",
        ratingCol="rating",
        coldStartStrategy="drop",
        nonnegative=False,
        seed=params.seed,
    )
    model = als.fit(frame)
    users = model.userFactors.toPandas()
    items = model.itemFactors.toPandas()
    popularity = ratings.groupby("item_id")["rating"].sum().sort_values(ascending=False, kind="stable")
    return {
        "users": dict(zip(users["id"], range(len(users)), strict=True)),
        "user_factors": np.array(users["features"].tolist(), dtype=float).reshape(len(users), params.rank),
        "item_ids": items["id"].to_numpy(),
        "item_factors": np.array(items["features"].tolist(), dtype=float).reshape(len(items), params.rank),
        "popular": popularity.index.to_numpy(),
        "popular_score": popularity.to_numpy(),
    }


def _seen(ratings: pd.DataFrame) -> dict[int, set[int]]:
    return ratings.groupby("user_id")["item_id"].agg(set).to_dict()


def _als_top(model, user: int, seen: set[int], k: int, exclude_seen: bool) -> tuple[np.ndarray, np.ndarray]:
    scores = model["item_factors"] @ model["user_factors"][model["users"][user]]
    order = np.argsort(-scores, kind="stable")
    items = model["item_ids"][order]
    keep = ~np.isin(items, list(seen)) if exclude_seen and seen else np.ones(len(items), dtype=bool)
    return items[keep][:k], scores[order][keep][:k]


def _popular_top(model, seen: set[int], k: int, exclude_seen: bool) -> tuple[np.ndarray, np.ndarray]:
    items = model["popular"]
    keep = ~np.isin(items, list(seen)) if exclude_seen and seen else np.ones(len(items), dtype=bool)
    return items[keep][:k], model["popular_score"][keep][:k]


def evaluate(spark, train: pd.DataFrame, test: pd.DataFrame, params: RecommendParams) -> tuple[pd.DataFrame, int]:
    """P@k, R@k and NDCG@k of ALS and of popularity, over users seen in training who touched
    new items in the test period."""
    model = _fit(spark, train, params)
    seen = _seen(train)
    relevant = test.groupby("user_id")["item_id"].agg(set).to_dict()
    rows = {"als": [], "popular": []}
    for user, items in relevant.items():
        if user not in model["users"]:
            continue
        new = items - seen.get(user, set()) if params.exclude_seen else items
        if not new:
            continue
        user_seen = seen.get(user, set())
        for name, (recs, _) in (
            ("als", _als_top(model, user, user_seen, params.k, params.exclude_seen)),
            ("popular", _popular_top(model, user_seen, params.k, params.exclude_seen)),
        ):
            rows[name].append(_metrics(recs, new, params.k))
    if not rows["als"]:
        raise RecommendError("no user of the training period touched new items in the test period: nothing to evaluate")
    evaluation = pd.DataFrame(
        [
            {
                "model": name,
                "precision_at_10": float(np.mean([r[0] for r in values])),
                "recall_at_10": float(np.mean([r[1] for r in values])),
                "ndcg_at_10": float(np.mean([r[2] for r in values])),
            }
            for name, values in rows.items()
        ]
    )
    return evaluation, len(rows["als"])


def _metrics(recommended: np.ndarray, relevant: set[int], k: int) -> tuple[float, float, float]:
    hits = np.array([item in relevant for item in recommended[:k]], dtype=float)
    precision = hits.sum() / k
    recall = hits.sum() / len(relevant)
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(len(relevant), k)].sum()
    ndcg = float((hits * discounts[: len(hits)]).sum() / ideal) if ideal else 0.0
    return precision, recall, ndcg


def top_n(model, ratings: pd.DataFrame, users, params: RecommendParams) -> pd.DataFrame:
    """Top-N items per user: ALS for users the model knows, popular items for the rest."""
    seen = _seen(ratings)
    frames = []
    for user in users:
        user_seen = seen.get(user, set())
        if user in model["users"]:
            items, scores = _als_top(model, user, user_seen, params.top_n, params.exclude_seen)
            source = "als"
        else:
            items, scores = _popular_top(model, user_seen, params.top_n, params.exclude_seen)
            source = "popular"
        frames.append(
            pd.DataFrame(
                {
                    "user_id": int(user),
                    "rank": np.arange(1, len(items) + 1),
                    "item_id": items.astype(np.int64),
                    "score": scores.astype(float),
                    "source": source,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["user_id", "rank", "item_id", "score", "source"])
    return pd.concat(frames, ignore_index=True)
