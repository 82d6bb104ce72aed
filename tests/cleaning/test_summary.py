"""The cleaning run's summary in the results mart (a real SQLite mart; no Spark needed)."""

from __future__ import annotations

import sqlite3

import pytest

from ecomlab.cleaning.spec import DIMENSIONS
from ecomlab.cleaning.summary import summary_frames, table_score, write_summary
from ecomlab.mart import Mart


def table_entry(rows_in: int, dwd: int, quarantined: int, merged: int, scores: dict[str, float]) -> dict:
    return {
        "days": ["2026-11-01", "2026-11-02"],
        "rows_in": rows_in,
        "dwd_rows": dwd,
        "quarantined": quarantined,
        "merged": merged,
        "scores_after": {d: scores.get(d, 1.0) for d in DIMENSIONS},
    }


def report(run_id: str = "run-1", passed: bool = True, events_dwd: int = 990) -> dict:
    return {
        "run_id": run_id,
        "passed": passed,
        "tables": {
            "shop_events": table_entry(1000, events_dwd, 1000 - events_dwd - 2, 2, {"validity": 0.94}),
            "shop_orders": table_entry(100, 100, 0, 0, {}),
            "crawl_prices": table_entry(50, 45, 5, 0, {"completeness": 0.7, "accuracy": 0.7}),
        },
    }


@pytest.fixture
def mart(tmp_path):
    mart = Mart(f"sqlite:///{tmp_path / 'mart.sqlite'}")
    yield mart
    mart.dispose()


def stored(tmp_path) -> list[tuple]:
    # Read back with the standard library, not through the code under test.
    with sqlite3.connect(tmp_path / "mart.sqlite") as db:
        return sorted(
            db.execute(
                "SELECT dataset, run_id, passed, table_name, days, rows_in, dwd_rows, quarantined, merged, "
                "round(score, 6) FROM quality_summary"
            )
        )


def test_the_score_is_the_equal_weight_mean_of_the_six_dimensions():
    assert table_score({d: 1.0 for d in DIMENSIONS}) == 1.0
    assert table_score({**{d: 1.0 for d in DIMENSIONS}, "validity": 0.4}) == pytest.approx(0.9)


def test_each_table_goes_to_the_data_set_that_lands_it(mart, tmp_path):
    written = write_summary(mart, report(), finished_at="2026-11-03T08:00:00Z")
    assert written == {"shop": 2, "crawl": 1}
    assert stored(tmp_path) == [
        ("crawl", "run-1", 1, "crawl_prices", 2, 50, 45, 5, 0, 0.9),
        ("shop", "run-1", 1, "shop_events", 2, 1000, 990, 8, 2, 0.99),
        ("shop", "run-1", 1, "shop_orders", 2, 100, 100, 0, 0, 1.0),
    ]


def test_repeating_a_run_replaces_its_rows_and_keeps_other_runs(mart, tmp_path):
    write_summary(mart, report("run-1"), finished_at="2026-11-03T08:00:00Z")
    write_summary(mart, report("run-2", events_dwd=980), finished_at="2026-11-04T08:00:00Z")
    write_summary(mart, report("run-2", passed=False, events_dwd=970), finished_at="2026-11-04T09:00:00Z")
    rows = stored(tmp_path)
    assert len(rows) == 6
    events = [(r[1], r[2], r[6]) for r in rows if r[3] == "shop_events"]
    assert events == [("run-1", 1, 990), ("run-2", 0, 970)]


def test_a_table_of_no_known_data_set_is_refused_by_name(mart, tmp_path):
    bad = report()
    bad["tables"]["shop_parcels"] = table_entry(1, 1, 0, 0, {})
    with pytest.raises(KeyError, match="shop_parcels"):
        write_summary(mart, bad)
    assert not mart.has_table("quality_summary")


def test_frames_carry_when_the_run_finished():
    frames = summary_frames(report(), finished_at="2026-11-03T08:00:00Z")
    assert set(frames) == {"shop", "crawl"}
    assert set(frames["shop"]["finished_at"]) == {"2026-11-03T08:00:00Z"}
