"""Spark job: (re)load ODS partitions from the raw zone.

    spark-submit jobs/load_ods.py --source shop --entity events --dt 2026-11-01 [--dt ...]
    spark-submit jobs/load_ods.py --source shop --all-landed

Settings come from the profile (ECOMLAB_PROFILE, ECOMLAB_CONFIG, ECOMLAB_* variables); the
session ships the ecomlab package to executors when they run on other hosts.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ecomlab.settings import ConfigError, load_settings
from ecomlab.sources.registry import entities_of
from ecomlab.storage.lake import lake_from_settings
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.catalog import ensure_databases
from ecomlab.warehouse.ods import NoBatchError, load_many
from ecomlab.warehouse.spark import create_spark

log = logging.getLogger("ecomlab.jobs.load_ods")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="shop, taobao, cdnow or baskets")
    parser.add_argument("--entity", action="append", help="entity name (repeatable; default: all of the source)")
    parser.add_argument("--dt", action="append", help="day YYYY-MM-DD (repeatable)")
    parser.add_argument("--all-landed", action="store_true", help="every day landed in the raw zone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.dt and not args.all_landed:
        parser.error("give --dt DAY (repeatable) or --all-landed")

    try:
        settings = load_settings()
        entities = entities_of(args.source, args.entity)
    except (ConfigError, KeyError) as exc:
        log.error("%s", exc)
        return 2
    lake = lake_from_settings(settings)
    spark = create_spark(settings, app_name=f"ecomlab-load-ods-{args.source}")
    ensure_databases(spark, settings.warehouse_root)
    zone = RawZone(lake)
    plan = {}
    for entity in entities:
        days = args.dt or zone.days(entity)
        if days:
            plan[entity] = days
        else:
            log.info("%s: nothing landed", entity.qualified_ods_table)
    try:
        loaded = load_many(spark, lake, plan)
    except NoBatchError as exc:
        log.error("%s", exc)
        return 1
    for loads in loaded.values():
        for load in loads:
            log.info(
                "%s dt=%s: %d rows in, %d rows out, %d malformed kept",
                load.table,
                load.dt,
                load.rows_in,
                load.rows_out,
                load.malformed,
            )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
