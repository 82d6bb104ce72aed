"""Real-time indicators: Spark Structured Streaming over the clickstream landing directory.

Events and orders files (CSV with a header, as the shop lands them) are read as they
arrive; rows are deduplicated by their id within an event-time watermark and counted per
minute: UV (distinct visitors), PV (page views), orders and GMV (paid and cancelled orders'
totals, as placed). Each micro-batch's partial counts are written under the batch's id
(overwritten if the batch runs again after a crash), and the checkpoint records which
files each batch read. A killed and restarted query therefore replays the same batch into
the same place: nothing is lost and nothing is counted twice. Windows closed by the
watermark are published to the sink table `minutes/` and to the mart (`realtime_minute`).

Rows that cannot be counted are quarantined, never dropped: an invalid id (`bad_key`), an
unparseable time (`bad_timestamp`), or a time on another day than the file's `dt=`
partition (`outside_file_day`). Each batch writes them, with their source, raw id, raw time
and file, under `quarantine/batch=<id>` (overwritten on replay, like the counts).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

log = logging.getLogger("ecomlab.mining.streaming")

EVENT_COLUMNS = [
    "event_id",
    "session_id",
    "visitor_id",
    "user_id",
    "event_time",
    "event_type",
    "page_type",
    "item_id",
    "channel",
    "campaign_id",
    "referrer",
    "device",
    "dwell_seconds",
    "is_entry",
    "is_exit",
]
ORDER_COLUMNS = [
    "order_id",
    "user_id",
    "session_id",
    "order_time",
    "status",
    "item_count",
    "total_amount",
    "discount_amount",
    "channel",
    "campaign_id",
    "region",
]


@dataclass(frozen=True)
class StreamConfig:
    events_path: str  # a directory or glob of events CSV files
    orders_path: str
    sink: str  # directory of the partial counts and the published minutes
    checkpoint: str
    dataset: str = "shop"
    watermark: str = "2 minutes"
    mart_url: str | None = None
    max_files_per_trigger: int = 4


def _uri(location: str) -> str:
    # Not Path.as_uri(): it would escape the glob characters (* { }) and the = of dt=... folders.
    return location if "://" in location else "file://" + str(Path(location).absolute())


# Why a row is set aside instead of counted (the quarantine's `reason` column).
BAD_KEY = "bad_key"
BAD_TIMESTAMP = "bad_timestamp"
OUTSIDE_FILE_DAY = "outside_file_day"
QUARANTINE_REASONS = (BAD_KEY, BAD_TIMESTAMP, OUTSIDE_FILE_DAY)
QUARANTINE_COLUMNS = ("source", "key", "raw_timestamp", "file", "reason")
COUNT_COLUMNS = ("key", "ts", "visitor", "pv", "orders", "gmv")
_TIME_FORMAT = "yyyy-MM-dd HH:mm:ss"
_FILE_DAY = r"/dt=([0-9]{4}-[0-9]{2}-[0-9]{2})/"


def _reason(raw_key, ts, file_path):
    """Why a row is quarantined, or null for a row that is counted.

    A row whose event time falls on another day than its file's `dt=` partition is set
    aside: counted, it would publish a stray minute (a year off) and could move the
    watermark far ahead. Files outside a `dt=` folder keep every valid row.
    """
    from pyspark.sql import functions as F

    file_day = F.regexp_extract(file_path, _FILE_DAY, 1)
    return (
        F.when(raw_key.isNull() | ~raw_key.rlike("^[0-9]+$"), F.lit(BAD_KEY))
        .when(ts.isNull(), F.lit(BAD_TIMESTAMP))
        .when((file_day != "") & (F.date_format(ts, "yyyy-MM-dd") != file_day), F.lit(OUTSIDE_FILE_DAY))
    )


def _unified(spark, config: StreamConfig):
    """Events and orders as one stream: rows to count (key, ts, visitor, pv, orders, gmv),
    deduplicated within the watermark, and quarantined rows (q_* columns and a reason)."""
    from pyspark.sql import functions as F

    def source(path: str, columns: list[str], name: str, key: str, time: str):
        schema = ", ".join(f"`{c}` STRING" for c in columns)
        reader = spark.readStream.schema(schema).option("header", True).option("mode", "PERMISSIVE")
        frame = reader.option("maxFilesPerTrigger", config.max_files_per_trigger).csv(_uri(path))
        ts = F.try_to_timestamp(F.col(time), F.lit(_TIME_FORMAT))
        frame = frame.select("*", ts.alias("ts"), F.col("_metadata.file_path").alias("file"))
        return frame.withColumns(
            {
                "reason": _reason(F.col(key), F.col("ts"), F.col("file")),
                "q_source": F.lit(name),
                "q_key": F.col(key),
                "q_raw_timestamp": F.col(time),
                "q_file": F.col("file"),
            }
        )

    events = source(config.events_path, EVENT_COLUMNS, "events", "event_id", "event_time")
    orders = source(config.orders_path, ORDER_COLUMNS, "orders", "order_id", "order_time")
    counted_events = events.where(F.col("reason").isNull()).select(
        F.concat(F.lit("e"), F.col("event_id")).alias("key"),
        "ts",
        F.col("visitor_id").alias("visitor"),
        F.when(F.col("event_type") == "page_view", 1).otherwise(0).alias("pv"),
        F.lit(0).alias("orders"),
        F.lit(0.0).alias("gmv"),
    )
    counted_orders = orders.where(F.col("reason").isNull()).select(
        F.concat(F.lit("o"), F.col("order_id")).alias("key"),
        "ts",
        F.lit(None).cast("string").alias("visitor"),
        F.lit(0).alias("pv"),
        F.lit(1).alias("orders"),
        F.col("total_amount").try_cast("double").alias("gmv"),
    )
    # One watermark per source: the query's watermark is the slower source's, so a source
    # that runs ahead does not make the other's rows late. Quarantined rows take no part in it.
    counted = (
        counted_events.withWatermark("ts", config.watermark)
        .unionByName(counted_orders.withWatermark("ts", config.watermark))
        .dropDuplicatesWithinWatermark(["key"])
    )
    nothing = F.lit(None).cast("string")
    counted = counted.select(*COUNT_COLUMNS, *(nothing.alias(f"q_{c}") for c in QUARANTINE_COLUMNS[:-1]))
    counted = counted.withColumn("reason", nothing)
    quarantine_only = [
        frame.where(F.col("reason").isNotNull()).select(
            nothing.alias("key"),
            F.lit(None).cast("timestamp").alias("ts"),
            nothing.alias("visitor"),
            F.lit(0).alias("pv"),
            F.lit(0).alias("orders"),
            F.lit(0.0).alias("gmv"),
            *(f"q_{c}" for c in QUARANTINE_COLUMNS[:-1]),
            "reason",
        )
        for frame in (events, orders)
    ]
    return counted.unionByName(quarantine_only[0]).unionByName(quarantine_only[1])


def split_batch(batch):
    """A micro-batch's rows to count, and its quarantined rows (source, key, raw_timestamp, file, reason)."""
    from pyspark.sql import functions as F

    counted = batch.where(F.col("reason").isNull()).select(*COUNT_COLUMNS)
    quarantined = batch.where(F.col("reason").isNotNull()).select(
        *(F.col(f"q_{c}").alias(c) for c in QUARANTINE_COLUMNS[:-1]), "reason"
    )
    return counted, quarantined


def minute_partials(rows):
    """Per minute: page views, orders, GMV, and the minute's visitors (one row per visitor)."""
    from pyspark.sql import functions as F

    minute = F.date_trunc("minute", "ts").alias("window_start")
    is_event = F.col("key").startswith("e")
    counts = rows.groupBy(minute).agg(
        F.sum("pv").alias("pv"),
        F.sum("orders").alias("orders"),
        F.sum("gmv").alias("gmv"),
        F.max(F.when(is_event, F.col("ts"))).alias("max_event_ts"),
        F.max(F.when(~is_event, F.col("ts"))).alias("max_order_ts"),
    )
    visitors = rows.where(F.col("visitor").isNotNull()).select(minute, "visitor").distinct()
    return counts, visitors


class _BatchWriter:
    """foreachBatch sink: idempotent per batch id, then publishes the closed windows."""

    def __init__(self, config: StreamConfig, delay_seconds: int):
        self.config = config
        self.delay = delay_seconds
        self.sink = _uri(config.sink).rstrip("/")

    def __call__(self, batch, batch_id: int) -> None:
        batch = batch.persist()  # read once, split twice
        try:
            counted, quarantined = split_batch(batch)
            counts, visitors = minute_partials(counted)
            # Overwrite: a batch replayed after a crash replaces its own earlier output.
            counts.write.mode("overwrite").parquet(f"{self.sink}/counts/batch={batch_id}")
            visitors.write.mode("overwrite").parquet(f"{self.sink}/visitors/batch={batch_id}")
            quarantined.write.mode("overwrite").parquet(f"{self.sink}/quarantine/batch={batch_id}")
            by_reason = {r["reason"]: r["count"] for r in quarantined.groupBy("reason").count().collect()}
        finally:
            batch.unpersist()
        for reason, rows in sorted(by_reason.items()):
            log.warning("batch %d: %d row(s) quarantined: %s", batch_id, rows, reason)
        published = self.publish(batch.sparkSession)
        log.info("batch %d: %d minute(s) closed and published", batch_id, published)

    def publish(self, spark) -> int:
        minutes = closed_minutes(spark, self.sink, self.delay)
        minutes.write.mode("overwrite").parquet(f"{self.sink}/minutes")
        frame = spark.read.parquet(f"{self.sink}/minutes").toPandas()
        if self.config.mart_url:
            from ecomlab.mart import Mart

            mart = Mart(self.config.mart_url)
            try:
                out = frame.assign(dataset=self.config.dataset)
                out["window_start"] = out["window_start"].astype(str)
                mart.replace(
                    "realtime_minute",
                    out[["dataset", "window_start", "uv", "pv", "orders", "gmv"]],
                    {"dataset": self.config.dataset},
                )
            finally:
                mart.dispose()
        return len(frame)


def closed_minutes(spark, sink: str, delay_seconds: int):
    """Totals per minute over every batch's partials, for minutes ending at or before the
    watermark (the latest event time seen, less the delay)."""
    from pyspark.sql import functions as F

    counts = spark.read.parquet(f"{sink}/counts")
    visitors = spark.read.parquet(f"{sink}/visitors")
    # Like the query's watermark: the latest time seen by the slower of the two sources.
    latest = counts.agg(F.max("max_event_ts").alias("e"), F.max("max_order_ts").alias("o")).first()
    seen = [t for t in (latest["e"], latest["o"]) if t is not None]
    watermark = min(seen) if seen else None
    if watermark is None:
        return counts.limit(0).select("window_start", F.lit(0).alias("uv"), "pv", "orders", "gmv")
    totals = counts.groupBy("window_start").agg(
        F.sum("pv").cast("long").alias("pv"),
        F.sum("orders").cast("long").alias("orders"),
        F.round(F.sum("gmv"), 2).alias("gmv"),
    )
    uv = visitors.groupBy("window_start").agg(F.countDistinct("visitor").alias("uv"))
    joined = totals.join(uv, "window_start", "left").fillna(0, subset=["uv"])
    limit = F.lit(watermark) - F.expr(f"INTERVAL {delay_seconds} SECONDS") - F.expr("INTERVAL 1 MINUTE")
    return joined.where(F.col("window_start") <= limit).select("window_start", "uv", "pv", "orders", "gmv")


def published_totals(spark, sink: str) -> dict[str, float]:
    """What the closed minutes published so far add up to."""
    from pyspark.sql import functions as F

    try:
        minutes = spark.read.parquet(f"{_uri(sink).rstrip('/')}/minutes")
    except Exception as exc:  # nothing published yet
        if "PATH_NOT_FOUND" not in str(exc) and "UNABLE_TO_INFER_SCHEMA" not in str(exc):
            raise
        return {"minutes": 0, "pv": 0, "orders": 0, "gmv": 0.0}
    row = minutes.agg(F.count("*"), F.sum("pv"), F.sum("orders"), F.round(F.sum("gmv"), 2)).first()
    return {"minutes": row[0], "pv": row[1] or 0, "orders": row[2] or 0, "gmv": row[3] or 0.0}


def quarantine_counts(spark, sink: str) -> dict[str, int]:
    """Rows quarantined so far, per reason (every reason listed, zero when none)."""
    counts = dict.fromkeys(QUARANTINE_REASONS, 0)
    try:
        rows = spark.read.parquet(f"{_uri(sink).rstrip('/')}/quarantine").groupBy("reason").count().collect()
    except Exception as exc:  # no batch has run yet: nothing quarantined
        if "PATH_NOT_FOUND" not in str(exc) and "UNABLE_TO_INFER_SCHEMA" not in str(exc):
            raise
        return counts
    counts.update({row["reason"]: row["count"] for row in rows})
    return counts


def _seconds(delay: str) -> int:
    number, unit = delay.split()
    return int(number) * {"second": 1, "seconds": 1, "minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}[unit]


def start(spark, config: StreamConfig, available_now: bool = False, trigger_seconds: float = 1.0):
    """Start the query (available_now: process what is there, then stop)."""
    writer = (
        _unified(spark, config)
        .writeStream.foreachBatch(_BatchWriter(config, _seconds(config.watermark)))
        .option("checkpointLocation", _uri(config.checkpoint))
    )
    writer = (
        writer.trigger(availableNow=True)
        if available_now
        else writer.trigger(processingTime=f"{trigger_seconds} seconds")
    )
    return writer.queryName(f"realtime_{config.dataset}").start()


def offline_kept(frame: pd.DataFrame, key: str, time: str) -> pd.DataFrame:
    """The rows the stream counts, by the same rules: a numeric id, a parseable time, and
    (when the frame has a `dt` column, the file's partition day) a time on that day."""
    ts = pd.to_datetime(frame[time], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    kept = frame[key].astype("string").str.fullmatch(r"[0-9]+").fillna(False) & ts.notna()
    if "dt" in frame.columns:
        has_day = frame["dt"].notna() & (frame["dt"] != "")
        kept &= ~has_day | (ts.dt.strftime("%Y-%m-%d") == frame["dt"])
    return frame[kept].assign(**{time: ts[kept]})


def offline_minutes(frame_events: pd.DataFrame, frame_orders: pd.DataFrame) -> pd.DataFrame:
    """The same per-minute indicators computed in one pass over whole tables (pandas)."""
    events = offline_kept(frame_events, "event_id", "event_time").drop_duplicates("event_id").copy()
    events["window_start"] = events["event_time"].dt.floor("min")
    orders = offline_kept(frame_orders, "order_id", "order_time").drop_duplicates("order_id").copy()
    orders["window_start"] = orders["order_time"].dt.floor("min")
    orders["total_amount"] = pd.to_numeric(orders["total_amount"], errors="coerce")
    by_minute = events.groupby("window_start")
    out = pd.DataFrame(
        {
            "uv": by_minute["visitor_id"].nunique(),
            "pv": by_minute["event_type"].apply(lambda s: int((s == "page_view").sum())),
        }
    )
    sales = orders.groupby("window_start").agg(orders=("order_id", "size"), gmv=("total_amount", "sum"))
    out = out.join(sales, how="outer").fillna(0)
    out["gmv"] = out["gmv"].round(2)
    return out.astype({"uv": int, "pv": int, "orders": int}).reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-minute real-time indicators over a landing directory.")
    parser.add_argument("--events", required=True, help="directory or glob of events CSV files")
    parser.add_argument("--orders", required=True, help="directory or glob of orders CSV files")
    parser.add_argument("--sink", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--dataset", default="shop")
    parser.add_argument("--mart-url")
    parser.add_argument("--watermark", default="2 minutes")
    parser.add_argument("--available-now", action="store_true", help="process what has landed, then stop")
    parser.add_argument("--trigger-seconds", type=float, default=1.0)
    parser.add_argument("--max-files-per-trigger", type=int, default=4)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ecomlab.settings import load_settings
    from ecomlab.warehouse.spark import create_spark

    spark = create_spark(load_settings(), app_name="ecomlab-realtime")
    config = StreamConfig(
        args.events,
        args.orders,
        args.sink,
        args.checkpoint,
        dataset=args.dataset,
        watermark=args.watermark,
        mart_url=args.mart_url,
        max_files_per_trigger=args.max_files_per_trigger,
    )
    query = start(spark, config, available_now=args.available_now, trigger_seconds=args.trigger_seconds)
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main())


def lake_stream_config(settings, events=None, orders=None, mart_url=None, dataset: str = "shop") -> StreamConfig:
    """The shop's landing directories in the lake's raw zone, with sink and checkpoint beside the warehouse."""
    from ecomlab.storage.lake import lake_from_settings

    lake = lake_from_settings(settings)
    return StreamConfig(
        events_path=events or lake.uri("raw/shop/events") + "/dt=*/batch=*/*.csv",
        orders_path=orders or lake.uri("raw/shop/orders") + "/dt=*/batch=*/*.csv",
        sink=lake.uri(f"realtime/{dataset}"),
        checkpoint=lake.uri(f"realtime/_checkpoints/{dataset}"),
        dataset=dataset,
        mart_url=mart_url,
        max_files_per_trigger=100,
    )
