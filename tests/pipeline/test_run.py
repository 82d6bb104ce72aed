"""The main job on the embedded profile: generate -> land raw -> load ODS, counted against the truth."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

from ecomlab.pipeline.run import run_pipeline
from ecomlab.sources.simulator import SimulatorConfig
from ecomlab.sources.simulator import entities as shop

pytestmark = pytest.mark.spark

SIM = SimulatorConfig(events=15_000, days=2, start=date(2025, 3, 1), seed=11)
SHOP_STAGES = [
    "generate",
    "land raw",
    "load ODS",
    "clean (ods -> dwd)",
    "indicators (dwd -> ads -> mart)",
    "mine",
    "export dashboards",
]


@pytest.fixture(scope="module")
def first_run(settings, spark):
    return run_pipeline(settings, SIM, spark=spark)


def ods_counts(spark) -> dict[str, int]:
    days = [SIM.day(d) for d in range(SIM.days)]
    in_days = ", ".join(f"'{d}'" for d in days)
    return {
        e.name: spark.sql(f"SELECT count(*) FROM {e.qualified_ods_table} WHERE dt IN ({in_days})").first()[0]
        for e in shop.ALL
    }


def test_every_generated_row_reaches_ods(first_run, spark):
    truth = json.loads(Path(first_run.outputs["truth file"]).read_text())
    assert ods_counts(spark) == truth["rows_written"]
    stages = {s.stage: s for s in first_run.stages}
    assert list(stages) == SHOP_STAGES
    assert stages["generate"].rows_out == stages["land raw"].rows_out == stages["load ODS"].rows_out
    assert stages["load ODS"].rows_in == stages["load ODS"].rows_out == sum(truth["rows_written"].values())


def test_ods_keeps_the_planted_defects_for_cleaning(first_run, spark):
    truth = json.loads(Path(first_run.outputs["truth file"]).read_text())
    counts = truth["defects"]["counts"]["events"]
    days = ", ".join(f"'{SIM.day(d)}'" for d in range(SIM.days))
    events = spark.sql(f"SELECT * FROM ods.shop_events WHERE dt IN ({days})")
    row = events.selectExpr(
        "count(_raw_line) AS malformed", "count_if(referrer LIKE '%\ufffd%') AS bad_encoding"
    ).first()
    data_columns = [*shop.EVENTS.columns, "_raw_line", "dt"]
    duplicates = events.count() - events.select(*data_columns).distinct().count()
    assert row["malformed"] == counts["malformed_line"]
    assert row["bad_encoding"] == counts["bad_encoding"]
    assert duplicates == counts["duplicate_row"]


def test_a_second_run_stores_nothing_new_and_duplicates_nothing(first_run, settings, spark):
    before = ods_counts(spark)
    again = run_pipeline(settings, SIM, spark=spark)
    land = next(s for s in again.stages if s.stage == "land raw")
    assert land.detail["batches_stored"] == 0
    assert land.detail["batches_already_there"] > 0
    assert ods_counts(spark) == before


def test_the_run_report_is_written_to_the_lake(first_run, lake):
    uri = first_run.outputs["run report"]
    report = json.loads(lake.read_bytes(uri.removeprefix(lake.root_uri + "/")))
    assert [s["stage"] for s in report["stages"]] == SHOP_STAGES


def test_the_main_job_imports_a_public_file_instead_of_simulating(settings, spark, datasets):
    from ecomlab.pipeline.run import ImportSource

    path = datasets / "cdnow" / "CDNOW_sample.txt"
    report = run_pipeline(settings, ImportSource("cdnow", str(path), dt="2031-02-03"), spark=spark)
    stages = [s.stage for s in report.stages]
    assert stages == ["import cdnow", "load ODS", "clean (ods -> dwd)", "mine", "export dashboards"]
    lines = path.read_text().count("\n")
    assert report.stages[0].rows_out == report.stages[1].rows_out == lines
    count = spark.sql("SELECT count(*) FROM ods.cdnow_sample_purchases WHERE dt = '2031-02-03'").first()[0]
    assert count == lines
    assert report.outputs["ODS tables"] == "ods.cdnow_sample_purchases"


def test_the_main_job_cleans_what_it_loaded(first_run, settings, spark, lake):
    from ecomlab.mart import Mart

    stages = {s.stage: s for s in first_run.stages}
    clean = stages["clean (ods -> dwd)"]
    assert clean.rows_in == stages["load ODS"].rows_out
    assert clean.rows_out + clean.detail["quarantined"] + clean.detail["merged_duplicates"] == clean.rows_in
    days = ", ".join(f"'{SIM.day(d)}'" for d in range(SIM.days))
    dwd = spark.sql(f"SELECT count(*) FROM dwd.shop_events WHERE dt IN ({days})").first()[0]
    assert 0 < dwd < stages["load ODS"].rows_out
    uri = first_run.outputs["quality report"]
    assert "PASSED" in lake.read_bytes(uri.removeprefix(lake.root_uri + "/")).decode()
    # The quality board's summary of the run, one row per cleaned table, adds up to the stage's counts.
    mart = Mart.from_settings(settings)
    try:
        summary = mart.read(
            "SELECT sum(rows_in) AS rows_in, sum(dwd_rows) AS dwd, count(*) AS tables FROM quality_summary "
            "WHERE dataset = 'shop' AND run_id = :run",
            run=first_run.run_id,
        ).iloc[0]
    finally:
        mart.dispose()
    assert (summary.rows_in, summary.dwd, summary.tables) == (clean.rows_in, clean.rows_out, len(shop.ALL))


def test_the_main_job_builds_the_indicators_into_ads_and_the_mart(first_run, settings, spark):
    from ecomlab.mart import Mart

    stage = next(s for s in first_run.stages if s.stage.startswith("indicators"))
    days = [SIM.day(d) for d in range(SIM.days)]
    assert stage.rows_in == len(days) and stage.rows_out > 0
    ads = spark.sql(f"SELECT count(*) FROM ads.indicator_daily WHERE dataset = 'shop' AND dt IN {tuple(days)}")
    assert ads.first()[0] == stage.rows_out
    mart = Mart.from_settings(settings)
    uv = mart.read("SELECT dt, value FROM indicator_daily WHERE dataset = 'shop' AND indicator_id = 'uv' ORDER BY dt")
    assert uv.dt.tolist() == days and (uv.value > 0).all()


def test_the_main_job_boards_draw_what_its_mart_holds(first_run, settings, tmp_path):
    """The exported boards of a real run (not planted rows), opened in headless Chromium."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))
    from dashboard_browser import Browser, unavailable
    from dashboard_expected import shown

    from ecomlab.dashboards.boards import BOARDS
    from ecomlab.mart import Mart

    reason = unavailable()
    if reason:
        pytest.fail(f"this test needs a real browser: {reason}")
    mart = Mart.from_settings(settings)
    try:
        uv = mart.read(
            "SELECT value FROM indicator_daily WHERE dataset = 'shop' AND indicator_id = 'uv' AND dimension = '' "
            "ORDER BY dt"
        )["value"].tolist()
        scores = mart.read(
            "SELECT score FROM quality_summary WHERE dataset = 'shop' AND run_id = :run ORDER BY table_name",
            run=first_run.run_id,
        )["score"].tolist()
    finally:
        mart.dispose()
    board_dir = Path(first_run.outputs["dashboards"]).parent / "shop"
    browser = Browser()
    try:
        charts = {}
        for board in BOARDS:
            report = browser.visit((board_dir / f"{board.SLUG}.html").as_uri(), tmp_path / f"{board.SLUG}.png")
            assert report["errors"] == [], board.SLUG
            assert [m for m in report["console"] if m["type"] == "error"] == [], board.SLUG
            assert [c["key"] for c in report["charts"] if not c["rendered"]] == [], board.SLUG
            charts.update({chart["key"]: chart for chart in report["charts"]})
    finally:
        browser.close()
    # Spot checks against the mart: the overview's visitors and the quality board's scores of this run.
    assert list(shown(charts["trend:uv"]).values()) == [uv]
    assert shown(charts["quality:score"]) == {"score": scores}
    assert len(scores) == len(shop.ALL)
