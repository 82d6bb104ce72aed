"""The main job's mining stage: the tasks that fit the data set, then the real-time query
over the landed files in available-now mode."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ecomlab.mart import Mart
from ecomlab.mining.tasks import RUNNERS

log = logging.getLogger("ecomlab.mining")

# Which tasks each source's data supports.
TASKS_BY_SOURCE = {
    "shop": ("rules", "behaviour", "segment", "recommend", "clv"),
    "taobao": ("behaviour", "recommend"),
    "cdnow": ("segment", "clv"),
    "baskets": ("rules",),
}


@dataclass
class MineResult:
    rows: int = 0
    detail: dict = field(default_factory=dict)


def mine(spark, settings, source: str, days: list[str], progress) -> MineResult:
    tasks = TASKS_BY_SOURCE.get(source, ())
    result = MineResult()
    if not tasks:
        return result
    run_dt = days[-1]
    mart = Mart.from_settings(settings)
    try:
        with progress.task("mine", total=len(tasks) + (source == "shop"), unit="tasks") as advance:
            for task in tasks:
                try:
                    outcome = RUNNERS[task](spark, mart, source, run_dt, days=days if source == "shop" else None)
                except ValueError as exc:
                    # Too little data for one method (a tiny import) must not lose the others' results.
                    log.warning("mining %s on %s: %s", task, source, exc)
                    result.detail[task] = {"error": str(exc)}
                else:
                    result.rows += sum(outcome.rows.values())
                    result.detail[task] = outcome.summary
                advance(1)
            if source == "shop":
                result.detail["realtime"] = _realtime(spark, settings, days, mart.url)
                advance(1)
    finally:
        mart.dispose()
    return result


def _realtime(spark, settings, days: list[str], mart_url: str) -> dict:
    """The streaming query over the run's landed events and orders, available-now."""
    from ecomlab.mining.streaming import lake_stream_config, quarantine_counts, start
    from ecomlab.storage.lake import lake_from_settings

    lake = lake_from_settings(settings)
    pattern = "{" + ",".join(days) + "}"
    config = lake_stream_config(
        settings,
        events=lake.uri("raw/shop/events") + f"/dt={pattern}/batch=*/*.csv",
        orders=lake.uri("raw/shop/orders") + f"/dt={pattern}/batch=*/*.csv",
        mart_url=mart_url,
    )
    query = start(spark, config, available_now=True)
    query.awaitTermination()
    minutes = spark.read.parquet(f"{config.sink}/minutes").count()
    return {"closed_minutes": minutes, "quarantined": quarantine_counts(spark, config.sink), "sink": config.sink}
