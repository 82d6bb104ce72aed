"""One mining benchmark run over a simulator output directory: FPGrowth, ALS fit and
evaluation, K-means (RFM), streaming throughput and landing-to-visible latency.

    python tests/benchmarks/mine_once.py SIM_DIR WORK_DIR  -> prints one JSON line

Inputs are read from the simulator's CSV files (clean data), so the benchmark measures the
mining methods and not the cleaning before them.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path


def main(sim_dir: Path, work: Path) -> dict:
    from pyspark.sql import functions as F

    from ecomlab.mining import recommend, segment, streaming
    from ecomlab.mining.rules import RuleParams, mine_rules
    from ecomlab.settings import load_settings
    from ecomlab.warehouse.spark import create_spark

    spark = create_spark(load_settings(), app_name="ecomlab-bench-mine")

    def csv(entity: str):
        return (
            spark.read.option("header", True).option("inferSchema", True).csv(str(sim_dir / entity / "dt=*" / "*.csv"))
        )

    out: dict = {}
    lines = csv("order_items")
    baskets = lines.groupBy("order_id").agg(
        F.array_distinct(F.collect_list(F.col("item_id").cast("string"))).alias("items")
    )
    started = time.perf_counter()
    rules = mine_rules(baskets, RuleParams(min_support=0.002, min_confidence=0.1))
    seconds = time.perf_counter() - started
    out["fpgrowth"] = {"seconds": round(seconds, 2), "baskets": rules.transactions, "rules": len(rules.rules)}
    out["fpgrowth"]["baskets_per_s"] = round(rules.transactions / seconds)

    events = csv("events").where(F.col("user_id").isNotNull() & F.col("item_id").isNotNull())
    orders = csv("orders")
    action = F.when(F.col("event_type") == "favourite", "fav").when(F.col("event_type") == "cart_add", "cart")
    interactions = events.select(
        "user_id", "item_id", action.otherwise("view").alias("action"), F.to_timestamp("event_time").alias("ts")
    ).unionByName(
        lines.join(orders.select("order_id", "user_id", "order_time"), "order_id").select(
            "user_id", "item_id", F.lit("buy").alias("action"), F.to_timestamp("order_time").alias("ts")
        )
    )
    n_interactions = interactions.count()
    started = time.perf_counter()
    rec = recommend.recommend(spark, interactions, recommend.RecommendParams(), users=[])
    seconds = time.perf_counter() - started
    scores = rec.evaluation.set_index("model")
    out["als"] = {
        "seconds": round(seconds, 2),
        "interactions": n_interactions,
        "interactions_per_s": round(n_interactions / seconds),
        "precision_at_10": round(float(scores.loc["als", "precision_at_10"]), 4),
        "popular_precision_at_10": round(float(scores.loc["popular", "precision_at_10"]), 4),
    }

    purchases = orders.where(F.col("status") == "paid").select(
        F.col("user_id").alias("customer_id"),
        F.to_timestamp("order_time").alias("ts"),
        F.col("total_amount").alias("value"),
    )
    started = time.perf_counter()
    seg = segment.segment(spark, purchases)
    seconds = time.perf_counter() - started
    out["kmeans"] = {"seconds": round(seconds, 2), "customers": len(seg.customers), "k": seg.k}
    out["kmeans"]["customers_per_s"] = round(len(seg.customers) / seconds)

    # Streaming throughput: every landed file, available-now.
    config = streaming.StreamConfig(
        str(sim_dir / "events" / "dt=*" / "*.csv"),
        str(sim_dir / "orders" / "dt=*" / "*.csv"),
        str(work / "sink"),
        str(work / "checkpoint"),
        max_files_per_trigger=1,
    )
    n_events = spark.read.option("header", True).csv(config.events_path).count()
    started = time.perf_counter()
    streaming.start(spark, config, available_now=True).awaitTermination()
    seconds = time.perf_counter() - started
    out["streaming"] = {"seconds": round(seconds, 2), "events": n_events, "events_per_s": round(n_events / seconds)}

    # Latency: a running query; one more file lands; seconds until its minute is visible.
    landing = {name: work / "landing" / name for name in ("events", "orders")}
    for name, path in landing.items():
        path.mkdir(parents=True)
        first = sorted((sim_dir / name).glob("dt=*/*.csv"))[0]
        shutil.copy(first, path / "day-0.csv")
    live = streaming.StreamConfig(
        str(landing["events"]), str(landing["orders"]), str(work / "live-sink"), str(work / "live-checkpoint")
    )
    query = streaming.start(spark, live, trigger_seconds=0.5)
    minutes = work / "live-sink" / "minutes"
    deadline = time.monotonic() + 600
    while not (minutes / "_SUCCESS").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    # The last day's events and orders land; its windows close once both sources have seen them.
    landed = time.perf_counter()
    last_day = None
    for name, path in landing.items():
        late = sorted((sim_dir / name).glob("dt=*/*.csv"))[-1]
        last_day = late.parent.name.removeprefix("dt=")
        staged = work / "landing" / f"next-{name}.csv"
        shutil.copy(late, staged)
        staged.rename(path / "day-n.csv")
    while time.monotonic() < deadline:
        try:
            latest = spark.read.parquet(str(minutes)).agg({"window_start": "max"}).first()[0]
        except Exception:  # the query is replacing the table right now
            latest = None
        if latest is not None and str(latest) >= last_day:
            break
        time.sleep(0.2)
    out["streaming"]["latency_s"] = round(time.perf_counter() - landed, 2)
    query.stop()
    spark.stop()
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
