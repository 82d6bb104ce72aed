"""Spark job: clean ODS tables into DWD (five stages, quality gate, quarantine, report).

    spark-submit jobs/clean.py [--table shop_events ...] [--dt 2026-11-01 ...] [--truth truth_defects.csv]

Without --table, every table of the cleaning spec that has ODS data is cleaned; without
--dt, every day it has. Exits 3 when the quality gate fails (DWD is then left as it was).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ecomlab.cleaning.engine import ConservationError, QualityGateError, clean
from ecomlab.mart import Mart
from ecomlab.settings import ConfigError, load_settings
from ecomlab.storage.lake import lake_from_settings
from ecomlab.warehouse.catalog import ensure_databases
from ecomlab.warehouse.spark import create_spark

log = logging.getLogger("ecomlab.jobs.clean")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="append", help="ODS table name without 'ods.' (repeatable)")
    parser.add_argument("--dt", action="append", help="day YYYY-MM-DD (repeatable)")
    parser.add_argument("--truth", type=Path, help="simulator truth_defects.csv, to score detection")
    parser.add_argument("--run-id", help="id of the run the report is stored under")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    lake = lake_from_settings(settings)
    spark = create_spark(settings, app_name="ecomlab-clean")
    ensure_databases(spark, settings.warehouse_root)
    mart = Mart.from_settings(settings)
    try:
        result = clean(
            spark, lake, tables=args.table, days=args.dt, run_id=args.run_id, truth_defects=args.truth, mart=mart
        )
    except QualityGateError as exc:
        log.error("%s", exc)
        return 3
    except ConservationError as exc:
        log.error("%s", exc)
        return 4
    finally:
        mart.dispose()
    batch = result.report["batch"]
    log.info(
        "cleaned %d rows: %d to DWD, %d quarantined, %d duplicates merged; report %s",
        batch["rows_in"],
        batch["dwd_rows"],
        batch["quarantined"],
        batch["merged"],
        result.report_uris["html"],
    )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
