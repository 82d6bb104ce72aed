"""Spark job: (re)load ODS partitions from the raw zone.

    spark-submit jobs/load_ods.py --source shop --entity events --dt 2026-11-01 [--dt ...]
    spark-submit jobs/load_ods.py --source shop --all-landed
    spark-submit jobs/load_ods.py --plan runs/orchestration/shop/2026-11-01_2026-11-07/ods_plan.json

Settings come from the profile (ECOMLAB_PROFILE, ECOMLAB_CONFIG, ECOMLAB_* variables); the
session ships the ecomlab package to executors when they run on other hosts.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ecomlab.orchestration.scope import read_plan
from ecomlab.settings import ConfigError, load_settings
from ecomlab.sources.registry import entities_of
from ecomlab.storage.lake import LakeError, lake_from_settings
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.catalog import ensure_databases
from ecomlab.warehouse.ods import NoBatchError, load_many
from ecomlab.warehouse.spark import create_spark

log = logging.getLogger("ecomlab.jobs.load_ods")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="shop, taobao, cdnow, baskets or crawl")
    parser.add_argument("--entity", action="append", help="entity name (repeatable; default: all of the source)")
    parser.add_argument("--dt", action="append", help="day YYYY-MM-DD (repeatable)")
    parser.add_argument("--all-landed", action="store_true", help="every day landed in the raw zone")
    parser.add_argument("--plan", help="lake path of a load plan (source, entity -> days) written at landing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.plan:
        if args.source or args.entity or args.dt or args.all_landed:
            parser.error("--plan names the source, entities and days: give it alone")
    elif not args.source:
        parser.error("give --source (or --plan)")
    elif not args.dt and not args.all_landed:
        parser.error("give --dt DAY (repeatable) or --all-landed")

    try:
        settings = load_settings()
        lake = lake_from_settings(settings)
        if args.plan:
            source, days_of = read_plan(lake, args.plan)
            entities = entities_of(source, list(days_of))
        else:
            source, days_of = args.source, {}
            entities = entities_of(args.source, args.entity)
    except (ConfigError, KeyError, LakeError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    spark = create_spark(settings, app_name=f"ecomlab-load-ods-{source}")
    ensure_databases(spark, settings.warehouse_root)
    zone = RawZone(lake)
    plan = {}
    for entity in entities:
        days = days_of.get(entity.name) or args.dt or zone.days(entity)
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
