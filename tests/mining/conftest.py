"""One small simulated shop, landed, loaded and cleaned into DWD once for every mining test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ecomlab.pipeline.run import RunReport, _load_ods_stage, _shop_stages
from ecomlab.progress import Progress
from ecomlab.sources.simulator import SimulatorConfig

# Enough customers (about 800) and days for segments, taste and pairs to show; small enough for local[2].
SIM = SimulatorConfig(events=80_000, days=7, seed=20261101)
DAYS = [SIM.day(d) for d in range(SIM.days)]
TABLES = ["categories", "brands", "items", "users", "campaigns", "events", "orders", "order_items"]


@dataclass(frozen=True)
class Shop:
    truth: dict
    segments: pd.Series  # user_id -> planted segment
    out_dir: Path
    days: list[str]


@pytest.fixture(scope="session")
def shop(settings, spark, lake) -> Shop:
    from ecomlab.cleaning.engine import clean

    report = RunReport("mining-tests", settings.profile)
    plan = _shop_stages(report, settings, lake, SIM, Progress())
    plan = {entity: days for entity, days in plan.items() if entity.name in TABLES}
    _load_ods_stage(report, settings, lake, plan, Progress(), spark)
    clean(spark, lake, tables=[f"shop_{t}" for t in TABLES], days=DAYS, run_id="mining-tests")
    truth_path = Path(report.outputs["truth file"])
    segments = pd.read_csv(truth_path.with_name("truth_segments.csv")).set_index("user_id")["segment"]
    return Shop(json.loads(truth_path.read_text()), segments, truth_path.parent, DAYS)


@pytest.fixture(scope="session")
def mart(tmp_path_factory):
    from ecomlab.mart import Mart

    mart = Mart(f"sqlite:///{tmp_path_factory.mktemp('mart') / 'mart.db'}")
    yield mart
    mart.dispose()
