"""Spark job: build the indicators (DWD -> DWS -> ads.indicator_daily) and export them to the mart.

    spark-submit jobs/indicators.py [--dataset shop|taobao|cdnow] [--date 2026-11-01 ...] [--no-mart]

Without --date, every day the data set has in DWD. Exits 2 on a configuration error and 3
when the data set has no data for the days asked.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ecomlab.indicators.build import IndicatorError
from ecomlab.indicators.stage import run_indicators
from ecomlab.mart import Mart
from ecomlab.settings import ConfigError, load_settings
from ecomlab.warehouse.catalog import ensure_databases
from ecomlab.warehouse.spark import create_spark

log = logging.getLogger("ecomlab.jobs.indicators")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="shop", help="shop, taobao or cdnow")
    parser.add_argument("--date", action="append", dest="dates", help="day YYYY-MM-DD (repeatable)")
    parser.add_argument("--no-mart", action="store_true", help="write ADS only, do not export to the mart")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    spark = create_spark(settings, app_name="ecomlab-indicators")
    ensure_databases(spark, settings.warehouse_root)
    mart = None if args.no_mart else Mart.from_settings(settings)
    try:
        result = run_indicators(spark, mart, args.dataset, args.dates)
    except IndicatorError as exc:
        log.error("%s", exc)
        return 3
    finally:
        spark.stop()
    log.info(
        "%s: %d indicators for %d day(s), %d rows (%d null with a reason)",
        result.dataset,
        result.indicators,
        len(result.days),
        result.rows,
        result.nulls,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
