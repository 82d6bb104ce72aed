"""Spark job: mining over DWD (rules, behaviour, segments, recommendation, lifetime value),
results to ADS tables and the results mart.

    spark-submit jobs/mine.py --dataset shop --date 2026-11-07 [--task rules ...] [--dt 2026-11-01 ...]

--date is the run day the results are stored under; --dt limits the DWD days read.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ecomlab.mart import Mart
from ecomlab.mining.tasks import DATASETS, TASKS, run_tasks
from ecomlab.settings import ConfigError, load_settings
from ecomlab.warehouse.catalog import ensure_databases
from ecomlab.warehouse.spark import create_spark

log = logging.getLogger("ecomlab.jobs.mine")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", required=True, help="run day YYYY-MM-DD the results are stored under")
    parser.add_argument("--dataset", default="shop", choices=[*DATASETS, "baskets"])
    parser.add_argument("--task", action="append", choices=TASKS, help="mining task (repeatable; default all)")
    parser.add_argument("--dt", action="append", help="DWD day to read (repeatable; default all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    spark = create_spark(settings, app_name="ecomlab-mine")
    ensure_databases(spark, settings.warehouse_root)
    mart = Mart.from_settings(settings)
    try:
        outcomes = run_tasks(spark, mart, args.dataset, args.date, tasks=args.task or TASKS, days=args.dt)
    except ValueError as exc:
        log.error("%s", exc)
        return 3
    finally:
        mart.dispose()
    for outcome in outcomes:
        log.info("%s: %s %s", outcome.task, outcome.rows, outcome.summary)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
