"""The cleaning framework on real public data: the shared Taobao sample and CDNOW files.

Each file is imported and loaded as it is (no hand edits) and cleaned with the packaged
rules. What cleaning should find is computed here from the files with plain Python,
independently of the importers and of Spark: which lines are exact copies of an earlier
line (merged), which break a rule of the data set (quarantined, with their reason), and
what the clean rows add up to. Each data set is landed for a dt of its own, since all
Spark tests share one metastore.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from ecomlab.cleaning.engine import clean
from ecomlab.cleaning.spec import DIMENSIONS, load_spec
from ecomlab.sources.importers import import_file
from ecomlab.warehouse.ods import load_ods

pytestmark = pytest.mark.spark

CHINA = timezone(timedelta(hours=8))
TAOBAO_PERIOD = (date(2017, 11, 25), date(2017, 12, 3))
CDNOW_PERIOD = (date(1997, 1, 1), date(1998, 6, 30))
TAOBAO_BEHAVIORS = {"pv", "cart", "fav", "buy"}

REASON_DIMENSION = {
    "duplicate_row": "uniqueness",
    "out_of_window": "timeliness",
    "invalid_value": "validity",
    "below_minimum": "validity",
}

TAOBAO_DT = "2033-01-01"
CDNOW_MASTER_DT = "2033-01-02"
CDNOW_SAMPLE_DT = "2033-01-03"


@dataclass
class Expected:
    """What cleaning one file should do, line by line (line numbers as in the file)."""

    lines: dict[int, list[str]] = field(default_factory=dict)  # every data line's fields
    merged: dict[int, int] = field(default_factory=dict)  # copy's line -> first copy's line
    quarantined: dict[int, str] = field(default_factory=dict)  # line -> reason
    findings: Counter = field(default_factory=Counter)
    kept: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, fields) that reach DWD

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(self.quarantined.values()) + Counter({"duplicate_row": len(self.merged)}))

    @property
    def dwd_rows(self) -> int:
        return self.rows - len(self.quarantined) - len(self.merged)


def classify(numbered: list[tuple[int, list[str]]], rules) -> Expected:
    """Apply exact-copy merging and the per-row `rules` (fields -> reasons, most fundamental first)."""
    expected = Expected(lines=dict(numbered))
    first_line: dict[tuple[str, ...], int] = {}
    for line_no, fields in numbered:
        broken = rules(fields)
        expected.findings.update(broken)
        first = first_line.setdefault(tuple(fields), line_no)
        if first != line_no:
            expected.merged[line_no] = first
            expected.findings["duplicate_row"] += 1
        elif broken:
            expected.quarantined[line_no] = broken[0]
        else:
            expected.kept.append((line_no, fields))
    expected.findings = +expected.findings
    return expected


def taobao_rules(fields: list[str]) -> list[str]:
    broken = []
    day = datetime.fromtimestamp(int(fields[4]), CHINA).date()
    if not TAOBAO_PERIOD[0] <= day <= TAOBAO_PERIOD[1]:
        broken.append("out_of_window")
    if fields[3] not in TAOBAO_BEHAVIORS:
        broken.append("invalid_value")
    return broken


def cdnow_rules(fields: list[str]) -> list[str]:
    broken = []
    *_, day, cds, dollars = fields
    if not CDNOW_PERIOD[0] <= date(int(day[:4]), int(day[4:6]), int(day[6:])) <= CDNOW_PERIOD[1]:
        broken.append("out_of_window")
    broken += ["below_minimum"] * ((int(cds) < 0) + (Decimal(dollars) < 0))
    return broken


def taobao_lines(path: Path) -> list[tuple[int, list[str]]]:
    numbered = [(n, line.split(",")) for n, line in enumerate(path.read_text().splitlines(), start=1)]
    assert all(len(fields) == 5 for _, fields in numbered)
    return numbered


def cdnow_lines(path: Path, columns: int) -> list[tuple[int, list[str]]]:
    """Whitespace-normalised fields per data line; a first line of names is a header."""
    lines = path.read_text().splitlines()
    start = 2 if not lines[0].split()[0].isdigit() else 1
    numbered = [(n, line.split()) for n, line in enumerate(lines[start - 1 :], start=start)]
    assert all(len(fields) == columns for _, fields in numbered)
    return numbered


@dataclass
class Cleaned:
    table: str
    dt: str
    expected: Expected
    ods_rows: int
    report: dict

    @property
    def table_report(self) -> dict:
        return self.report["tables"][self.table]


def land_and_clean(spark, lake, kind: str, path: Path, dt: str, expected: Expected, run_id: str) -> Cleaned:
    imported = import_file(kind, path, lake, dt=dt)
    [loaded] = load_ods(spark, lake, imported.entity, [dt])
    table = imported.entity.ods_table
    result = clean(spark, lake, tables=[table], days=[dt], run_id=run_id)
    return Cleaned(table, dt, expected, loaded.rows_out, result.report)


@pytest.fixture(scope="module")
def taobao(spark, lake, datasets) -> Cleaned:
    path = datasets / "taobao-userbehavior-sample" / "UserBehavior.csv"
    expected = classify(taobao_lines(path), taobao_rules)
    return land_and_clean(spark, lake, "taobao", path, TAOBAO_DT, expected, "real-taobao")


@pytest.fixture(scope="module")
def cdnow_master(spark, lake, datasets) -> Cleaned:
    path = datasets / "cdnow" / "CDNOW_master.txt"
    expected = classify(cdnow_lines(path, 4), cdnow_rules)
    return land_and_clean(spark, lake, "cdnow", path, CDNOW_MASTER_DT, expected, "real-cdnow-master")


@pytest.fixture(scope="module")
def cdnow_sample(spark, lake, datasets) -> Cleaned:
    path = datasets / "cdnow" / "CDNOW_sample.txt"
    expected = classify(cdnow_lines(path, 5), cdnow_rules)
    return land_and_clean(spark, lake, "cdnow", path, CDNOW_SAMPLE_DT, expected, "real-cdnow-sample")


def scalar(spark, sql: str):
    return spark.sql(sql).first()[0]


def written(spark, cleaned: Cleaned) -> dict[str, int]:
    """Rows of the dt in DWD, quarantine and merges, counted in the tables themselves."""
    where = f"dt = '{cleaned.dt}' AND table_name = '{cleaned.table}'"
    return {
        "dwd": scalar(spark, f"SELECT count(*) FROM dwd.{cleaned.table} WHERE dt = '{cleaned.dt}'"),
        "quarantine": scalar(spark, f"SELECT count(*) FROM dwd.quarantine WHERE {where}"),
        "merges": scalar(spark, f"SELECT count(*) FROM dwd.cleaning_merges WHERE {where}"),
    }


def assert_counts_match(spark, cleaned: Cleaned) -> None:
    expected, table = cleaned.expected, cleaned.table_report
    assert cleaned.ods_rows == expected.rows
    assert table["rows_in"] == expected.rows
    assert table["days"] == [cleaned.dt]
    assert table["findings"] == dict(expected.findings)
    assert table["reasons"] == expected.reasons
    assert table["merged"] == len(expected.merged)
    assert table["quarantined"] == len(expected.quarantined)
    assert table["dwd_rows"] == expected.dwd_rows == expected.rows - len(expected.quarantined) - len(expected.merged)
    assert table["conservation_ok"]
    counts = written(spark, cleaned)
    assert counts == {"dwd": expected.dwd_rows, "quarantine": len(expected.quarantined), "merges": len(expected.merged)}
    assert counts["dwd"] + counts["quarantine"] + counts["merges"] == expected.rows


def assert_the_right_lines_were_set_aside(spark, cleaned: Cleaned) -> None:
    where = f"dt = '{cleaned.dt}' AND table_name = '{cleaned.table}'"
    quarantined = {
        r["_line_no"]: r["reason"]
        for r in spark.sql(f"SELECT _line_no, reason FROM dwd.quarantine WHERE {where}").collect()
    }
    assert quarantined == cleaned.expected.quarantined
    merged = {
        r["_line_no"]: r["kept_line_no"]
        for r in spark.sql(f"SELECT _line_no, kept_line_no FROM dwd.cleaning_merges WHERE {where}").collect()
    }
    assert merged == cleaned.expected.merged


def assert_passes_the_gate(cleaned: Cleaned) -> None:
    thresholds = load_spec().thresholds
    assert cleaned.report["passed"] is True
    assert cleaned.report["batch"]["conservation_verified_in_tables"] is True
    assert cleaned.report["rounds"][0]["passed"] is True  # no lenient repairs were needed
    # Each row set aside lowers the score of its reason's dimension by 1 / rows.
    removed = Counter()
    for reason, n in cleaned.expected.reasons.items():
        removed[REASON_DIMENSION[reason]] += n
    expected = {d: 1 - removed[d] / cleaned.expected.rows for d in DIMENSIONS}
    scores = cleaned.table_report["scores_after"]
    assert scores == pytest.approx(expected)
    assert all(scores[d] >= thresholds[d] for d in DIMENSIONS), scores


# Taobao UserBehavior sample.


def test_taobao_counts_match_the_file(taobao, spark, datasets):
    expected = taobao.expected
    assert expected.rows == 4_321
    # The sample has one stray event long before the period, and no exact copies.
    assert expected.findings["out_of_window"] >= 1
    assert taobao.table_report["reasons"].get("out_of_window", 0) == expected.findings["out_of_window"]
    text = (datasets / "taobao-userbehavior-sample" / "UserBehavior.csv").read_text().splitlines()
    assert taobao.table_report["merged"] == len(text) - len(set(text)) == len(expected.merged)
    assert taobao.table_report["findings"].get("invalid_value", 0) == 0
    assert_counts_match(spark, taobao)


def test_taobao_quarantine_and_merges_hold_exactly_the_lines_found_here(taobao, spark):
    assert_the_right_lines_were_set_aside(spark, taobao)
    where = f"dt = '{TAOBAO_DT}' AND table_name = 'taobao_user_behavior'"
    findings = spark.sql(f"SELECT findings FROM dwd.quarantine WHERE {where}").collect()
    assert findings and all(r["findings"] == ["out_of_window:timestamp"] for r in findings)


def test_taobao_report_passes_the_quality_gate(taobao):
    assert_passes_the_gate(taobao)
    assert taobao.report["plan"]["warnings"] == []


def test_taobao_dwd_is_typed_and_spans_the_period_in_china_time(taobao, spark):
    types = dict(spark.table("dwd.taobao_user_behavior").dtypes)
    assert types["timestamp"] == "timestamp"
    assert types["user_id"] == types["item_id"] == types["category_id"] == "bigint"
    kept = [int(fields[4]) for _, fields in taobao.expected.kept]
    first, last, behaviors = spark.sql(
        "SELECT min(CAST(`timestamp` AS BIGINT)), max(CAST(`timestamp` AS BIGINT)), "
        f"collect_set(behavior_type) FROM dwd.taobao_user_behavior WHERE dt = '{TAOBAO_DT}'"
    ).first()
    assert (first, last) == (min(kept), max(kept))
    # The first kept event is on the period's first day in China, the day before in UTC.
    assert datetime.fromtimestamp(first, CHINA).date() == TAOBAO_PERIOD[0]
    assert datetime.fromtimestamp(last, CHINA).date() == TAOBAO_PERIOD[1]
    assert set(behaviors) == TAOBAO_BEHAVIORS
    users = scalar(spark, f"SELECT count(DISTINCT user_id) FROM dwd.taobao_user_behavior WHERE dt = '{TAOBAO_DT}'")
    assert users == len({fields[0] for _, fields in taobao.expected.kept})


# CDNOW master and sample.


@pytest.mark.parametrize("name", ["cdnow_master", "cdnow_sample"])
def test_cdnow_counts_match_the_file(name, request, spark):
    cleaned: Cleaned = request.getfixturevalue(name)
    expected = cleaned.expected
    assert expected.rows == {"cdnow_master": 69_659, "cdnow_sample": 6_919}[name]
    # Every purchase is in the documented period and none has a negative value.
    assert cleaned.table_report["findings"].get("out_of_window", 0) == 0
    negative = sum(Decimal(fields[-1]) < 0 for fields in expected.lines.values())
    assert cleaned.table_report["findings"].get("below_minimum", 0) == negative == 0
    assert len(expected.merged) > 0  # the files do repeat some lines exactly
    assert_counts_match(spark, cleaned)


@pytest.mark.parametrize("name", ["cdnow_master", "cdnow_sample"])
def test_cdnow_quarantine_and_merges_hold_exactly_the_lines_found_here(name, request, spark):
    assert_the_right_lines_were_set_aside(spark, request.getfixturevalue(name))


@pytest.mark.parametrize("name", ["cdnow_master", "cdnow_sample"])
def test_cdnow_report_passes_the_quality_gate(name, request):
    cleaned: Cleaned = request.getfixturevalue(name)
    assert_passes_the_gate(cleaned)
    assert cleaned.report["plan"]["warnings"] == []


@pytest.mark.parametrize("name", ["cdnow_master", "cdnow_sample"])
def test_cdnow_dwd_is_typed_and_adds_up(name, request, spark):
    cleaned: Cleaned = request.getfixturevalue(name)
    types = dict(spark.table(f"dwd.{cleaned.table}").dtypes)
    assert (types["date"], types["number_of_cds"], types["dollar_value"]) == ("date", "int", "decimal(18,2)")
    kept = [fields for _, fields in cleaned.expected.kept]
    first, last, cds, dollars, zero_dollars = spark.sql(
        "SELECT min(date), max(date), sum(number_of_cds), sum(dollar_value), count_if(dollar_value = 0) "
        f"FROM dwd.{cleaned.table} WHERE dt = '{cleaned.dt}'"
    ).first()
    days = sorted(f[-3] for f in kept)
    assert (first.strftime("%Y%m%d"), last.strftime("%Y%m%d")) == (days[0], days[-1])
    assert (first, last) == CDNOW_PERIOD
    assert cds == sum(int(f[-2]) for f in kept)
    assert dollars == sum(Decimal(f[-1]) for f in kept)
    # The files hold purchases of $0.00; they are within the rule (min 0) and stay in DWD.
    assert zero_dollars == sum(Decimal(f[-1]) == 0 for f in kept) > 0


def test_cdnow_master_keeps_every_customer_not_wholly_quarantined(cdnow_master, spark):
    expected = cdnow_master.expected
    customers = {int(fields[0]) for fields in expected.lines.values()}
    assert len(customers) == 23_570
    kept = {int(fields[0]) for _, fields in expected.kept}
    found = scalar(spark, f"SELECT count(DISTINCT customer_id) FROM dwd.cdnow_purchases WHERE dt = '{CDNOW_MASTER_DT}'")
    assert found == len(kept) == 23_570 - len(customers - kept)


def test_cdnow_sample_keeps_every_customer_not_wholly_quarantined(cdnow_sample, spark):
    expected = cdnow_sample.expected
    customers = {int(fields[1]) for fields in expected.lines.values()}
    assert len(customers) == 2_357
    kept = {int(fields[1]) for _, fields in expected.kept}
    found = scalar(
        spark, f"SELECT count(DISTINCT sample_id) FROM dwd.cdnow_sample_purchases WHERE dt = '{CDNOW_SAMPLE_DT}'"
    )
    assert found == len(kept) == 2_357 - len(customers - kept)
