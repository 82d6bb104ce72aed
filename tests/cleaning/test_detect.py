"""Detection's typed values and the repairs they record, on a real Spark session."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecomlab.cleaning.detect import typed_value
from ecomlab.cleaning.spec import ColumnRule

pytestmark = pytest.mark.spark


def typed(spark, values: list[str | None], rule: ColumnRule, refinements=()):
    frame = spark.createDataFrame([(v,) for v in values], "x string")
    value, repair = typed_value("x", rule, list(refinements))
    return [(r[0], r[1]) for r in frame.select(value.alias("v"), repair.alias("r")).collect()]


def test_timestamps_in_other_zones_are_standardised_to_utc_and_the_repair_recorded(spark):
    rows = typed(
        spark,
        ["2026-11-01 02:00:00", "2026-11-01T10:00:00+08:00", "2026-11-01T02:00:00Z", "31/02/2026 10:00", None],
        ColumnRule(type="timestamp"),
    )
    moment = datetime(2026, 11, 1, 2, 0, 0)
    assert rows[0] == (moment, None)
    assert rows[1] == (moment, "standardised_timestamp")
    assert rows[2] == (moment, "standardised_timestamp")
    assert rows[3] == (None, None)  # no such day: left for the quarantine
    assert rows[4] == (None, None)


def test_lenient_formats_are_tried_only_when_the_plan_is_refined(spark):
    rule = ColumnRule(type="timestamp")
    assert typed(spark, ["2026/11/01 02:00:00"], rule) == [(None, None)]
    assert typed(spark, ["2026/11/01 02:00:00"], rule, ["extra_timestamp_formats"]) == [
        (datetime(2026, 11, 1, 2, 0, 0), "standardised_timestamp")
    ]


def test_known_values_in_another_case_are_normalised(spark):
    rows = typed(spark, ["pv", "PV", " Buy ", "zap"], ColumnRule(values=["pv", "buy"]))
    assert rows == [("pv", None), ("pv", "normalised_case"), ("buy", "normalised_case"), ("zap", None)]


def test_epoch_seconds_and_day_formats(spark):
    assert typed(spark, ["1511544070", "x"], ColumnRule(type="timestamp", format="epoch_seconds"))[0][0] == (
        datetime(2017, 11, 24, 17, 21, 10)
    )
    rows = typed(spark, ["19970101", "19971399"], ColumnRule(type="date", format="yyyyMMdd"))
    assert [r[0].isoformat() if r[0] else None for r in rows] == ["1997-01-01", None]
