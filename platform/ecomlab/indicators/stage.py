"""The indicator stage: build a data set's days, write ADS, export to the mart."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ecomlab.indicators.ads import export_to_mart, write_ads
from ecomlab.indicators.build import IndicatorError, build
from ecomlab.indicators.dws import CdnowAdapter
from ecomlab.indicators.engines import SparkEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageResult:
    dataset: str
    days: list[str]
    rows: int
    nulls: int
    indicators: int


def event_days(spark, dataset: str) -> list[str]:
    """The days a data set has events for (what its indicators can be built for).

    The shop: its DWD partitions. Taobao: the China-time days of its behaviour records.
    CDNOW: the last day of each month with purchases (its indicators are monthly). Crawl: the crawl days.
    """
    if dataset == "shop":
        if not spark.catalog.tableExists("dwd.shop_events"):
            return []
        return [r[0] for r in spark.sql("SELECT DISTINCT dt FROM dwd.shop_events ORDER BY dt").collect()]
    if dataset == "taobao":
        if not spark.catalog.tableExists("dwd.taobao_user_behavior"):
            return []
        sql = (
            "SELECT DISTINCT CAST(CAST(`timestamp` + INTERVAL 8 HOUR AS DATE) AS STRING) AS d "
            "FROM dwd.taobao_user_behavior ORDER BY d"
        )
        return [r[0] for r in spark.sql(sql).collect()]
    if dataset == "cdnow":
        purchases = CdnowAdapter(SparkEngine(spark))
        if not purchases.has_table("cdnow_purchases"):
            return []
        sql = f"SELECT DISTINCT CAST(last_day(date) AS STRING) AS d FROM {purchases.t('cdnow_purchases')} ORDER BY d"
        return [r[0] for r in spark.sql(sql).collect()]
    if dataset == "crawl":
        if not spark.catalog.tableExists("dwd.crawl_products"):
            return []
        return [r[0] for r in spark.sql("SELECT DISTINCT dt FROM dwd.crawl_products ORDER BY dt").collect()]
    raise IndicatorError(f"no day list for data set {dataset!r}")


def run_indicators(spark, mart, dataset: str, days: list[str] | None = None, advance=lambda n: None) -> StageResult:
    days = days if days is not None else event_days(spark, dataset)
    if not days:
        raise IndicatorError(f"data set {dataset!r} has no days with data in DWD")
    built = build(SparkEngine(spark), dataset, days, advance=advance)
    write_ads(spark, built.rows)
    if mart is not None:
        export_to_mart(mart, built.rows)
    advance(1)
    nulls = int(built.rows.value.isna().sum())
    log.info("indicators of %s for %d day(s): %d rows, %d null", dataset, len(days), len(built.rows), nulls)
    return StageResult(dataset, built.days, len(built.rows), nulls, len(built.indicators))
