"""One simulated shop, landed, loaded and cleaned once for every indicator test (Spark is slow)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ecomlab.sources.simulator import SimulatorConfig

# Small on purpose: 4 days (so that weekdays, the day before and cohorts of 1 day exist).
SIM = SimulatorConfig(events=20_000, days=4, start=date(2024, 5, 1), seed=21)
DAYS = [SIM.day(d) for d in range(SIM.days)]


@dataclass(frozen=True)
class ShopData:
    days: list[str]
    truth: dict
    dwd_root: str


@pytest.fixture(scope="session")
def shop_dwd(settings, spark, lake) -> ShopData:
    from ecomlab.cleaning.engine import clean
    from ecomlab.pipeline.run import RunReport, _load_ods_stage, _shop_stages
    from ecomlab.progress import Progress

    report = RunReport("indicator-tests", settings.profile)
    plan = _shop_stages(report, settings, lake, SIM, Progress())
    _load_ods_stage(report, settings, lake, plan, Progress(), spark)
    clean(spark, lake, tables=[e.ods_table for e in plan], days=DAYS, run_id="indicator-tests")
    truth = json.loads(Path(report.outputs["truth file"]).read_text())
    return ShopData(DAYS, truth, f"{settings.warehouse_root}/dwd.db")


@pytest.fixture(scope="session")
def shop_built(shop_dwd, spark):
    from ecomlab.indicators.build import build
    from ecomlab.indicators.engines import SparkEngine

    return build(SparkEngine(spark), "shop", shop_dwd.days)
