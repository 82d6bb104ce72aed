import sqlite3

import pandas as pd
import pytest

from ecomlab.mart import Mart, MartError


def _day(dt: str, values: dict[str, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dataset": "shop",
            "dt": dt,
            "indicator_id": list(values),
            "value": list(values.values()),
            "null_reason": [None if v is not None else "no visitors" for v in values.values()],
        }
    )


@pytest.fixture
def mart(tmp_path):
    mart = Mart(f"sqlite:///{tmp_path / 'mart.sqlite'}")
    yield mart
    mart.dispose()


def _day_of(dt: str) -> dict[str, str]:
    return {"dataset": "shop", "dt": dt}


def test_replacing_a_day_twice_keeps_one_copy_and_leaves_other_days(mart, tmp_path):
    mart.replace("indicator_daily", _day("2026-01-01", {"uv": 10.0, "pv": 30.0}), _day_of("2026-01-01"))
    mart.replace("indicator_daily", _day("2026-01-02", {"uv": 5.0}), _day_of("2026-01-02"))
    mart.replace("indicator_daily", _day("2026-01-01", {"uv": 11.0, "pv": None}), _day_of("2026-01-01"))

    # Read back with the standard library, not through the class under test.
    with sqlite3.connect(tmp_path / "mart.sqlite") as db:
        rows = sorted(db.execute("SELECT dt, indicator_id, value, null_reason FROM indicator_daily"))
    assert rows == [
        ("2026-01-01", "pv", None, "no visitors"),
        ("2026-01-01", "uv", 11.0, None),
        ("2026-01-02", "uv", 5.0, None),
    ]
    assert mart.read("SELECT value FROM indicator_daily WHERE dt = :dt AND indicator_id = 'uv'", dt="2026-01-02")[
        "value"
    ].tolist() == [5.0]


def test_a_row_outside_the_partition_is_refused_and_nothing_changes(mart):
    mart.replace("indicator_daily", _day("2026-01-01", {"uv": 10.0}), {"dataset": "shop", "dt": "2026-01-01"})
    mixed = pd.concat([_day("2026-01-01", {"uv": 12.0}), _day("2026-01-03", {"uv": 1.0})])
    with pytest.raises(MartError, match=r"dt='2026-01-03'.*outside the partition"):
        mart.replace("indicator_daily", mixed, {"dataset": "shop", "dt": "2026-01-01"})
    assert mart.read("SELECT value FROM indicator_daily")["value"].tolist() == [10.0]


def test_a_failed_write_rolls_back_the_delete(mart):
    mart.replace("indicator_daily", _day("2026-01-01", {"uv": 10.0}), {"dataset": "shop", "dt": "2026-01-01"})
    bad = _day("2026-01-01", {"uv": 12.0}).assign(unknown_column=1)  # the table has no such column
    with pytest.raises(Exception, match="unknown_column"):
        mart.replace("indicator_daily", bad, {"dataset": "shop", "dt": "2026-01-01"})
    assert mart.read("SELECT value FROM indicator_daily")["value"].tolist() == [10.0]


@pytest.mark.parametrize("table", ["Robert'); DROP TABLE x;--", "has space", ""])
def test_names_that_are_not_plain_identifiers_are_refused(mart, table):
    with pytest.raises(MartError, match="not a plain lower-case SQL name"):
        mart.replace(table, _day("2026-01-01", {"uv": 1.0}), {"dt": "2026-01-01"})


def test_a_missing_partition_column_is_named(mart):
    with pytest.raises(MartError, match="lack the partition column 'run_dt'"):
        mart.replace("mining_rules", _day("2026-01-01", {"uv": 1.0}), {"run_dt": "2026-01-01"})


def test_replacing_several_partitions_is_all_or_nothing(mart, tmp_path):
    mart.replace("indicator_daily", _day("2026-01-01", {"uv": 10.0}), _day_of("2026-01-01"))
    good = (_day("2026-01-01", {"uv": 12.0}), _day_of("2026-01-01"))
    # The second frame's row cannot be written (a column the table lacks): the first replace must not stay.
    bad = (_day("2026-01-02", {"uv": 5.0}).assign(extra=1), _day_of("2026-01-02"))
    with pytest.raises(Exception, match="extra"):
        mart.replace_many("indicator_daily", [good, bad])
    with sqlite3.connect(tmp_path / "mart.sqlite") as db:
        assert sorted(db.execute("SELECT dt, value FROM indicator_daily")) == [("2026-01-01", 10.0)]
    assert mart.replace_many("indicator_daily", [good, (_day("2026-01-02", {"uv": 5.0}), _day_of("2026-01-02"))]) == 2
    with sqlite3.connect(tmp_path / "mart.sqlite") as db:
        assert sorted(db.execute("SELECT dt, value FROM indicator_daily")) == [
            ("2026-01-01", 12.0),
            ("2026-01-02", 5.0),
        ]
