"""Cleaning ods -> dwd on a real Spark, scored against the simulator's truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ecomlab.cleaning.engine import QualityGateError, clean
from ecomlab.cleaning.spec import load_spec
from ecomlab.pipeline.run import RunReport, _load_ods_stage, _shop_stages
from ecomlab.progress import Progress
from ecomlab.sources.simulator import SimulatorConfig

pytestmark = pytest.mark.spark

SIM = SimulatorConfig(events=40_000, days=2, start=date(2024, 5, 1), seed=21)
DAYS = [SIM.day(d) for d in range(SIM.days)]
IN_DAYS = ", ".join(f"'{d}'" for d in DAYS)


@pytest.fixture(scope="module")
def landed(settings, spark, lake):
    report = RunReport("cleaning-test", settings.profile)
    plan = _shop_stages(report, settings, lake, SIM, Progress())
    _load_ods_stage(report, settings, lake, plan, Progress(), spark)
    return Path(report.outputs["truth file"])


@pytest.fixture(scope="module")
def mart(tmp_path_factory):
    from ecomlab.mart import Mart

    mart = Mart(f"sqlite:///{tmp_path_factory.mktemp('cleaning-mart') / 'mart.sqlite'}")
    yield mart
    mart.dispose()


@pytest.fixture(scope="module")
def cleaned(landed, spark, lake, mart):
    return clean(
        spark, lake, days=DAYS, run_id="clean-1", truth_defects=landed.with_name("truth_defects.csv"), mart=mart
    )


def table_rows(spark, sql: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(sql).collect())


def test_every_injected_defect_type_is_found_with_precision_and_recall_of_99_percent(cleaned, landed):
    truth = json.loads(landed.read_text())
    injected_types = {d for counts in truth["defects"]["counts"].values() for d in counts}
    scored = cleaned.report["truth"]["defects"]
    assert injected_types <= set(scored)
    for kind in injected_types:
        assert scored[kind]["precision"] >= 0.99, (kind, scored[kind])
        assert scored[kind]["recall"] >= 0.99, (kind, scored[kind])
    # Nothing is reported that was not injected.
    assert set(scored) == injected_types


def test_every_row_ends_in_exactly_one_place(cleaned, spark):
    for table, outcome in cleaned.outcomes.items():
        ods = spark.sql(f"SELECT count(*) FROM ods.{table} WHERE dt IN ({IN_DAYS})").first()[0]
        dwd = spark.sql(f"SELECT count(*) FROM dwd.{table} WHERE dt IN ({IN_DAYS})").first()[0]
        quarantined = spark.sql(
            f"SELECT count(*) FROM dwd.quarantine WHERE table_name = '{table}' AND dt IN ({IN_DAYS})"
        ).first()[0]
        merged = spark.sql(
            f"SELECT count(*) FROM dwd.cleaning_merges WHERE table_name = '{table}' AND dt IN ({IN_DAYS})"
        ).first()[0]
        assert ods == dwd + quarantined + merged == outcome.rows_in, table
    assert cleaned.report["batch"]["conservation_ok"]


def test_quarantine_keeps_the_reason_and_the_original_record(cleaned, spark):
    rows = spark.sql(
        f"SELECT reason, original, _raw_line FROM dwd.quarantine q JOIN ods.shop_events o "
        f"ON q._line_no = o._line_no AND q._source_file = o._source_file AND q.dt = o.dt "
        f"WHERE q.table_name = 'shop_events' AND q.dt IN ({IN_DAYS})"
    ).collect()
    assert rows
    for row in rows:
        assert row["reason"]
        if row["_raw_line"] is not None:
            assert row["original"] == row["_raw_line"]
        else:
            assert json.loads(row["original"])  # the received fields, as JSON


def test_dwd_is_typed_and_clean(cleaned, spark):
    types = dict(spark.sql("SELECT * FROM dwd.shop_orders").dtypes)
    assert types["order_time"] == "timestamp" and types["total_amount"] == "decimal(18,2)"
    bad = spark.sql(
        f"SELECT count(*) FROM dwd.shop_order_items WHERE dt IN ({IN_DAYS}) AND (unit_price < 0 OR item_id IS NULL)"
    ).first()[0]
    assert bad == 0


def test_the_report_and_plan_are_written_with_the_run(cleaned, lake):
    html = lake.read_bytes("runs/clean-1/quality/report.html").decode()
    assert "PASSED" in html
    stored = json.loads(lake.read_bytes("runs/clean-1/quality/report.json"))
    assert stored["batch"]["rows_in"] == cleaned.report["batch"]["rows_in"]
    plan = json.loads(lake.read_bytes("runs/clean-1/quality/plan.json"))
    assert plan["tables"]["shop_events"]["profile"]["rows"] == cleaned.outcomes["shop_events"].rows_in
    # The staged annotated rows live only as long as the run.
    assert lake.exists("runs/clean-1/quality") and not lake.exists("runs/clean-1/staging")


def test_the_run_summary_in_the_mart_matches_the_outcomes(cleaned, mart):
    rows = mart.read("SELECT * FROM quality_summary WHERE run_id = 'clean-1' ORDER BY table_name")
    assert set(rows["dataset"]) == {"shop"} and set(rows["passed"].astype(bool)) == {True}
    assert rows["table_name"].tolist() == sorted(cleaned.outcomes)
    for row in rows.itertuples():
        outcome = cleaned.outcomes[row.table_name]
        assert (row.rows_in, row.dwd_rows, row.quarantined, row.merged) == (
            outcome.rows_in,
            outcome.dwd_rows,
            outcome.quarantined,
            outcome.merged,
        )
        after = outcome.scores(outcome.removed_by_dimension)
        assert row.score == pytest.approx(sum(after.values()) / len(after), abs=1e-6)


def test_a_rerun_of_the_same_days_gives_identical_dwd_and_quarantine(cleaned, spark, lake):
    dwd_sql = f"SELECT * EXCEPT (_repairs) FROM dwd.shop_events WHERE dt IN ({IN_DAYS})"
    quarantine_sql = f"SELECT source_table, reason, original, _line_no, dt FROM dwd.quarantine WHERE dt IN ({IN_DAYS})"
    before = table_rows(spark, dwd_sql), table_rows(spark, quarantine_sql)
    clean(spark, lake, days=DAYS, run_id="clean-2")
    assert (table_rows(spark, dwd_sql), table_rows(spark, quarantine_sql)) == before


def test_a_batch_below_threshold_fails_the_gate_and_leaves_dwd_as_it_was(cleaned, spark, lake, mart):
    strict = load_spec().model_copy(deep=True)
    strict.thresholds = {d: 0.99999 for d in strict.thresholds}
    count_sql = f"SELECT count(*) FROM dwd.shop_events WHERE dt IN ({IN_DAYS})"
    before = spark.sql(count_sql).first()[0]
    with pytest.raises(QualityGateError, match="below threshold") as failure:
        clean(spark, lake, tables=["shop_events"], days=DAYS, spec=strict, run_id="clean-strict", mart=mart)
    assert spark.sql(count_sql).first()[0] == before
    # The failed run is on the quality board too, marked as failed.
    summary = mart.read("SELECT table_name, passed FROM quality_summary WHERE run_id = 'clean-strict'")
    assert summary["table_name"].tolist() == ["shop_events"] and not summary["passed"].astype(bool).any()
    assert failure.value.report["passed"] is False
    assert len(failure.value.report["rounds"]) == strict.max_rounds
    assert "FAILED" in lake.read_bytes("runs/clean-strict/quality/report.html").decode()


def test_cleaning_one_table_brings_the_tables_its_checks_read(landed, spark, lake):
    result = clean(spark, lake, tables=["shop_orders"], days=DAYS, run_id="clean-orders")
    assert set(result.outcomes) == {"shop_orders", "shop_order_items"}


def test_unknown_tables_are_refused_by_name(landed, spark, lake):
    from ecomlab.cleaning.spec import SpecError

    with pytest.raises(SpecError, match="shop_parcels"):
        clean(spark, lake, tables=["shop_parcels"], days=DAYS)


def test_rows_lost_on_the_way_to_the_tables_fail_the_run(landed, spark, lake, monkeypatch):
    from ecomlab.cleaning import engine

    real_write = engine.write_outputs

    def write_losing_rows(spark, spec, table, annotated, outcome, run_id):
        from pyspark.sql import functions as F

        # Lose every other clean row on the way, as a faulty writer would.
        kept = annotated.where(F.col("_reason").isNotNull() | (F.col("_line_no") % 2 == 1))
        real_write(spark, spec, table, kept, outcome, run_id)

    monkeypatch.setattr(engine, "write_outputs", write_losing_rows)
    with pytest.raises(engine.ConservationError, match="shop_events"):
        clean(spark, lake, tables=["shop_events"], days=DAYS, run_id="clean-lossy")
