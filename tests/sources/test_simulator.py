"""The shop simulator: determinism, scale, and a truth file that matches the data it wrote.

Every injected defect is checked in the written file by an independent reading of the
line, and the files are checked not to hold more defects than the truth says.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ecomlab.sources.simulator import SimulatorConfig, SimulatorError, simulate
from ecomlab.sources.simulator import entities as shop

SMALL = SimulatorConfig(events=30_000, days=3, seed=7)


def digest_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "shop"
    result = simulate(SMALL, out)
    truth = json.loads(result.truth_path.read_text())
    with result.defects_path.open(newline="", encoding="utf-8") as handle:
        defects = list(csv.DictReader(handle))
    return result, truth, defects


def read_lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path, generated):
    result, _, _ = generated
    again = simulate(SMALL, tmp_path / "again")
    assert digest_tree(again.out_dir) == digest_tree(result.out_dir)

    other = simulate(SimulatorConfig(events=30_000, days=3, seed=8), tmp_path / "other")
    assert digest_tree(other.out_dir) != digest_tree(result.out_dir)


def test_one_file_per_fact_and_day_and_snapshots_for_the_last_day(generated):
    result, truth, _ = generated
    days = [SMALL.day(d) for d in range(SMALL.days)]
    for entity in shop.FACTS:
        assert sorted(f.dt for f in result.files if f.entity == entity.name) == days
    for entity in shop.SNAPSHOTS:
        assert [f.dt for f in result.files if f.entity == entity.name] == [days[-1]]
    for f in result.files:
        header, *rows = read_lines(f.path)
        assert header.decode().split(",") == list(shop.BY_NAME[f.entity].columns)
        assert len(rows) == f.rows
    written = Counter()
    for f in result.files:
        written[f.entity] += f.rows
    assert dict(written) == truth["rows_written"]


def test_event_count_scales_with_the_parameter(generated, tmp_path):
    result, truth, _ = generated
    assert truth["events"] == result.events
    assert 0.85 * SMALL.events <= result.events <= 1.15 * SMALL.events
    bigger = simulate(SimulatorConfig(events=120_000, days=3, seed=7, dirty=False), tmp_path / "big")
    assert 0.85 * 120_000 <= bigger.events <= 1.15 * 120_000
    assert bigger.rows["users"] > 3 * result.rows["users"] * 0.9


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("events", 5, "events"),
        ("events", 200_000_000, "events"),
        ("days", 0, "days"),
        ("defect_rate", 0.5, "defect_rate"),
    ],
)
def test_impossible_settings_are_refused_naming_the_parameter(field, value, message):
    with pytest.raises(SimulatorError, match=message):
        SimulatorConfig(**{field: value})


def test_truth_counts_equal_the_defect_log(generated):
    _, truth, defects = generated
    counted = defaultdict(Counter)
    for row in defects:
        counted[row["entity"]][row["defect"]] += 1
    assert {e: dict(c) for e, c in counted.items()} == truth["defects"]["counts"]
    # Every type named in the issue is injected somewhere.
    injected = {d for c in counted.values() for d in c}
    assert {
        "null_required",
        "duplicate_row",
        "unparseable_timestamp",
        "out_of_window_timestamp",
        "negative_price",
        "absurd_price",
        "malformed_line",
        "bad_encoding",
        "orphan_foreign_key",
    } <= injected


def _fields(line: bytes) -> list[str]:
    return line.decode("utf-8").split(",")


def _is_timestamp(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def test_every_logged_defect_is_in_the_file_where_the_log_says(generated):
    result, _, defects = generated
    files = {(f.entity, f.dt): f.path for f in result.files}
    lines = {key: read_lines(path) for key, path in files.items()}
    item_ids = {r[0] for r in csv.reader(files[("items", SMALL.day(SMALL.days - 1))].open(encoding="utf-8"))}
    user_ids = {r[0] for r in csv.reader(files[("users", SMALL.day(SMALL.days - 1))].open(encoding="utf-8"))}
    item_sums, paid = order_item_sums(result), {}
    for f in (f for f in result.files if f.entity == "payments"):
        for p in csv.DictReader(f.path.open(encoding="utf-8", errors="replace")):
            if p["amount"]:
                paid[(f.dt, p["order_id"])] = float(p["amount"])
    for row in defects:
        entity, defect, column = row["entity"], row["defect"], row["column"]
        columns = list(shop.BY_NAME[entity].columns)
        file_lines = lines[(entity, row["dt"])]
        line = file_lines[int(row["line_no"]) - 1]
        where = f"{entity} {row['dt']} line {row['line_no']} ({defect})"
        if defect == "malformed_line":
            assert len(line.split(b",")) != len(columns), where
            continue
        if defect == "bad_encoding":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
            continue
        values = dict(zip(columns, _fields(line), strict=True))
        value = values.get(column, "")
        if defect == "duplicate_row":
            assert line in file_lines[: int(row["line_no"]) - 1], where
        elif defect == "null_required":
            assert value == "", where
        elif defect == "unparseable_timestamp":
            assert value and not _is_timestamp(value), where
        elif defect == "out_of_window_timestamp":
            day = datetime.strptime(row["dt"], "%Y-%m-%d")
            ts = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            assert not day <= ts < day + timedelta(days=1), where
        elif defect == "negative_price":
            assert float(value) < 0, where
        elif defect == "absurd_price":
            assert float(value) > 1_000_000, where
        elif defect == "orphan_foreign_key":
            known = {"item_id": item_ids, "user_id": user_ids}.get(column)
            if known is not None:
                assert value not in known, where
        elif defect == "inconsistent_order_total":
            assert abs(float(value) - item_sums[(row["dt"], values["order_id"])]) > 0.01, where
        elif defect == "refund_exceeds_payment":
            assert float(value) > paid[(row["dt"], values["order_id"])], where
        else:
            pytest.fail(f"untested defect type {defect}")


def test_files_hold_no_more_defects_than_the_truth_says(generated):
    """Counted from the files alone: malformed lines, bad encoding, exact duplicates."""
    result, truth, _ = generated
    counts = truth["defects"]["counts"]
    for entity in ("events", "orders", "order_items", "payments", "reviews"):
        columns = len(shop.BY_NAME[entity].columns)
        malformed = bad_encoding = duplicates = 0
        for f in (f for f in result.files if f.entity == entity):
            seen = set()
            for line in read_lines(f.path)[1:]:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    bad_encoding += 1
                if len(line.split(b",")) != columns:
                    malformed += 1
                if line in seen:
                    duplicates += 1
                seen.add(line)
        assert malformed == counts[entity].get("malformed_line", 0), entity
        assert bad_encoding == counts[entity].get("bad_encoding", 0), entity
        assert duplicates == counts[entity].get("duplicate_row", 0), entity


def order_item_sums(result) -> dict[tuple[str, str], float]:
    """Sum of quantity x unit price per (day, order), from the distinct order lines of the files."""
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for f in (f for f in result.files if f.entity == "order_items"):
        seen = set()
        for line in read_lines(f.path)[1:]:
            fields = line.decode("utf-8", errors="replace").split(",")
            if line in seen or len(fields) != 5:
                continue
            seen.add(line)
            try:
                sums[(f.dt, fields[0])] += int(fields[3]) * float(fields[4])
            except ValueError:
                continue
    return sums


def test_order_totals_match_their_items_except_where_a_defect_was_planted(generated):
    result, _, defects = generated
    planted = {(r["dt"], r["key"].split(":")[0]) for r in defects if r["entity"] in ("orders", "order_items")}
    totals = {}
    for f in (f for f in result.files if f.entity == "orders"):
        for row in csv.DictReader(f.path.open(encoding="utf-8", errors="replace")):
            totals[(f.dt, row["order_id"])] = row["total_amount"]
    sums = order_item_sums(result)
    checked = 0
    for key, total in totals.items():
        if key in planted or total in ("", None):
            continue
        assert abs(float(total) - sums[key]) < 0.005, key
        checked += 1
    assert checked > 0.9 * len(totals)


def test_planted_pairs_are_bought_together_far_more_than_chance(generated):
    result, truth, _ = generated
    baskets = defaultdict(set)
    for f in (f for f in result.files if f.entity == "order_items"):
        for row in csv.DictReader(f.path.open(encoding="utf-8", errors="replace")):
            if row.get("item_id"):
                baskets[(f.dt, row["order_id"])].add(row["item_id"])
    n = len(baskets)
    pairs = truth["product_pairs"]["pairs"]
    assert pairs
    for pair in pairs:
        a, b = str(pair["antecedent_item_id"]), str(pair["consequent_item_id"])
        na = sum(a in items for items in baskets.values())
        nb = sum(b in items for items in baskets.values())
        both = sum(a in items and b in items for items in baskets.values())
        if na < 20:
            continue
        lift = both * n / (na * nb)
        # The files carry a few defective rows, so allow a little slack against the clean truth.
        assert lift == pytest.approx(pair["lift"], rel=0.1)
        assert lift > 1.5


def test_segments_file_covers_every_user(generated):
    result, truth, _ = generated
    rows = list(csv.DictReader((result.out_dir / "truth_segments.csv").open()))
    assert len(rows) == truth["sizes"]["users"]
    sizes = Counter(r["segment"] for r in rows)
    assert sizes == {name: d["users"] for name, d in truth["segments"]["definitions"].items()}


def test_a_clean_run_injects_nothing(tmp_path):
    result = simulate(SimulatorConfig(events=10_000, days=2, dirty=False), tmp_path / "clean")
    truth = json.loads(result.truth_path.read_text())
    assert truth["defects"]["counts"] == {}
    for f in result.files:
        for line in read_lines(f.path):
            line.decode("utf-8")


def test_a_failed_run_leaves_no_partial_output(tmp_path, monkeypatch):
    from ecomlab.sources.simulator import generator

    def explode(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator._Simulation, "_snapshots", explode)
    with pytest.raises(RuntimeError):
        simulate(SimulatorConfig(events=10_000, days=1), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_an_output_directory_reads_back_as_the_same_result(generated):
    from ecomlab.sources.simulator import read_simulation

    result, _, _ = generated
    again = read_simulation(result.out_dir)
    assert again.config == result.config
    assert again.events == result.events
    assert sorted((f.entity, f.dt, f.path, f.rows) for f in again.files) == sorted(
        (f.entity, f.dt, f.path, f.rows) for f in result.files
    )


def test_a_directory_without_truth_is_not_a_simulation(tmp_path):
    from ecomlab.sources.simulator import read_simulation

    with pytest.raises(SimulatorError, match=r"no truth\.json"):
        read_simulation(tmp_path)
