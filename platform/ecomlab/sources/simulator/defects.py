"""Dirty data, injected on purpose and recorded exactly, so that cleaning can be scored.

Each defective row carries exactly one defect. Every injection is logged with the file,
line number, row key and defect type (`defects.csv` next to the truth file), and the
counts per entity and type go into the truth file.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomlab.sources.simulator.csvout import CsvFile, render_lines

# Defect types, in the order they are assigned.
NULL_REQUIRED = "null_required"
UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
OUT_OF_WINDOW_TIMESTAMP = "out_of_window_timestamp"
NEGATIVE_PRICE = "negative_price"
ABSURD_PRICE = "absurd_price"
ORPHAN_FOREIGN_KEY = "orphan_foreign_key"
INCONSISTENT_ORDER_TOTAL = "inconsistent_order_total"
REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
MALFORMED_LINE = "malformed_line"
BAD_ENCODING = "bad_encoding"
DUPLICATE_ROW = "duplicate_row"

DEFECT_TYPES = (
    NULL_REQUIRED,
    UNPARSEABLE_TIMESTAMP,
    OUT_OF_WINDOW_TIMESTAMP,
    NEGATIVE_PRICE,
    ABSURD_PRICE,
    ORPHAN_FOREIGN_KEY,
    INCONSISTENT_ORDER_TOTAL,
    REFUND_EXCEEDS_PAYMENT,
    MALFORMED_LINE,
    BAD_ENCODING,
    DUPLICATE_ROW,
)

# Which defects each entity receives, and in which column.
PLAN: dict[str, dict[str, str | None]] = {
    "events": {
        NULL_REQUIRED: "session_id",
        UNPARSEABLE_TIMESTAMP: "event_time",
        OUT_OF_WINDOW_TIMESTAMP: "event_time",
        ORPHAN_FOREIGN_KEY: "item_id",
        MALFORMED_LINE: None,
        BAD_ENCODING: "referrer",
        DUPLICATE_ROW: None,
    },
    "orders": {
        NULL_REQUIRED: "user_id",
        UNPARSEABLE_TIMESTAMP: "order_time",
        OUT_OF_WINDOW_TIMESTAMP: "order_time",
        ORPHAN_FOREIGN_KEY: "user_id",
        INCONSISTENT_ORDER_TOTAL: "total_amount",
        MALFORMED_LINE: None,
        DUPLICATE_ROW: None,
    },
    "order_items": {
        NULL_REQUIRED: "item_id",
        NEGATIVE_PRICE: "unit_price",
        ABSURD_PRICE: "unit_price",
        ORPHAN_FOREIGN_KEY: "item_id",
        MALFORMED_LINE: None,
        DUPLICATE_ROW: None,
    },
    "payments": {NULL_REQUIRED: "amount", UNPARSEABLE_TIMESTAMP: "paid_at", DUPLICATE_ROW: None},
    "refunds": {REFUND_EXCEEDS_PAYMENT: "amount", DUPLICATE_ROW: None},
    "reviews": {ORPHAN_FOREIGN_KEY: "order_id", BAD_ENCODING: "review_text", MALFORMED_LINE: None},
    "items": {NEGATIVE_PRICE: "price", ABSURD_PRICE: "price", DUPLICATE_ROW: None},
    "users": {NULL_REQUIRED: "registered_at", UNPARSEABLE_TIMESTAMP: "registered_at", DUPLICATE_ROW: None},
}

_BAD_TIMESTAMPS = ("2026-13-45 25:61:00", "not a date", "31/02/2026 10:00", "17000000000x", "2026-02-30T99:00")
_DAY = 86_400


@dataclass
class DefectLog:
    """Every injected defect: where it is and what it is."""

    path: Path
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(["entity", "dt", "file", "line_no", "key", "defect", "column"])

    def record(self, entity: str, dt: str, file: str, line_no: int, key: str, defect: str, column: str | None):
        self._writer.writerow([entity, dt, file, line_no, key, defect, column or ""])
        self.counts[(entity, defect)] += 1

    def close(self) -> None:
        self._handle.close()

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (entity, defect), n in sorted(self.counts.items()):
            out.setdefault(entity, {})[defect] = n
        return out


@dataclass(frozen=True)
class Window:
    """The event-time window of the batch being written: [start, end) in epoch seconds."""

    start: int
    end: int


class DirtyWriter:
    """Writes chunks of one entity's rows into a CSV, injecting and logging defects."""

    def __init__(self, out: CsvFile, entity: str, dt: str, key: tuple[str, ...], log: DefectLog | None, rate: float):
        self.out = out
        self.entity = entity
        self.dt = dt
        self.key = key
        self.log = log
        self.rate = rate
        self.plan = PLAN.get(entity, {}) if log is not None else {}

    def write(
        self,
        rng: np.random.Generator,
        columns: dict[str, pa.Array],
        window: Window,
        orphan_base: int,
        spare: np.ndarray | None = None,
    ) -> list[str]:
        """Write rows with their defects; `spare` marks rows that must stay sound.

        Returns the order ids of rows given a cross-table defect (an order total or a refund
        that disagrees with another table), so that the caller can keep those other rows
        sound: otherwise the disagreement could not be told apart from the other defect.
        """
        n = len(columns[self.key[0]])
        if n == 0:
            return []
        if not self.plan or n < 20:
            self.out.append(render_lines([columns[c] for c in self.out.columns]))
            return []

        defects = [d for d in self.plan if d != DUPLICATE_ROW]
        counts = {d: max(1, int(rng.binomial(n, self.rate))) for d in self.plan}
        chosen: dict[str, np.ndarray] = {}
        taken = np.zeros(n, dtype=bool) if spare is None else spare.copy()
        for defect in defects:
            column = self.plan[defect]
            eligible = ~taken
            if column is not None:
                eligible &= np.asarray(pc.not_equal(columns[column], "").fill_null(False))
            pool = np.flatnonzero(eligible)
            rows = np.sort(rng.choice(pool, size=min(counts[defect], len(pool)), replace=False))
            taken[rows] = True
            chosen[defect] = rows

        keys_before = (
            columns[self.key[0]]
            if len(self.key) == 1
            else pc.binary_join_element_wise(*(columns[k] for k in self.key), ":")
        )
        for defect, rows in chosen.items():
            column = self.plan[defect]
            if column is None or defect == BAD_ENCODING or len(rows) == 0:
                continue
            original = columns[column].take(pa.array(rows)).to_pylist()
            replacement = [
                self._corrupt(defect, value, rng, window, orphan_base + i) for i, value in enumerate(original)
            ]
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
            columns[column] = pc.replace_with_mask(columns[column], pa.array(mask), pa.array(replacement, pa.string()))

        # Duplicates: exact copies of clean rows, placed somewhere after their original.
        order = np.arange(n)
        dup_at = np.array([], dtype=np.int64)
        if DUPLICATE_ROW in self.plan:
            sources = np.sort(
                rng.choice(np.flatnonzero(~taken), size=min(counts[DUPLICATE_ROW], int((~taken).sum())), replace=False)
            )
            positions = np.array([rng.integers(s + 1, n + 1) for s in sources], dtype=np.int64)
            order = np.insert(order, positions, sources)
            # Where each copy landed in the output (np.insert shifts later insertions).
            dup_at = positions + np.argsort(np.argsort(positions, kind="stable"), kind="stable")

        lines = render_lines([columns[c].take(pa.array(order)) for c in self.out.columns])
        out_index = np.empty(n, dtype=np.int64)  # first output position of each input row
        is_copy = np.zeros(len(order), dtype=bool)
        is_copy[dup_at] = True
        out_index[order[~is_copy]] = np.flatnonzero(~is_copy)

        line_level = {d: chosen[d] for d in (MALFORMED_LINE, BAD_ENCODING) if d in chosen}
        if line_level:
            mask = np.zeros(len(order), dtype=bool)
            replacements = {}
            for defect, rows in line_level.items():
                for row in rows:
                    pos = int(out_index[row])
                    mask[pos] = True
                    replacements[pos] = self._corrupt_line(defect, lines[pos].as_py(), rng)
            values = [replacements[p] for p in np.flatnonzero(mask)]
            lines = pc.replace_with_mask(lines, pa.array(mask), pa.array(values, pa.binary()))

        first_line = self.out.append(lines)
        keys = keys_before.to_pylist() if len(chosen) or len(dup_at) else []
        file = self.out.path.name
        for defect, rows in chosen.items():
            for row in rows:
                line_no = first_line + int(out_index[row])
                self.log.record(self.entity, self.dt, file, line_no, keys[row], defect, self.plan[defect])
        for pos in dup_at:
            self.log.record(self.entity, self.dt, file, first_line + int(pos), keys[order[pos]], DUPLICATE_ROW, None)
        cross = [r for d in (INCONSISTENT_ORDER_TOTAL, REFUND_EXCEEDS_PAYMENT) for r in chosen.get(d, [])]
        return columns["order_id"].take(pa.array(cross, pa.int64())).to_pylist() if cross else []

    def _corrupt(self, defect: str, value: str, rng: np.random.Generator, window: Window, orphan_id: int) -> str:
        if defect == NULL_REQUIRED:
            return ""
        if defect == UNPARSEABLE_TIMESTAMP:
            return _BAD_TIMESTAMPS[int(rng.integers(len(_BAD_TIMESTAMPS)))]
        if defect == OUT_OF_WINDOW_TIMESTAMP:
            shift = int(rng.integers(2 * _DAY, 400 * _DAY))
            ts = window.start - shift if rng.random() < 0.5 else window.end + shift
            return np.datetime64(ts, "s").astype(str).replace("T", " ")
        if defect == NEGATIVE_PRICE:
            return "-" + value.lstrip("-")
        if defect == ABSURD_PRICE:
            return f"{float(value) * 10_000 + 1_000_000:.2f}"
        if defect == ORPHAN_FOREIGN_KEY:
            return str(orphan_id)
        if defect == INCONSISTENT_ORDER_TOTAL:
            factor = rng.uniform(1.1, 1.6) if rng.random() < 0.5 else rng.uniform(0.4, 0.9)
            return f"{float(value) * factor:.2f}"
        if defect == REFUND_EXCEEDS_PAYMENT:
            # Refunds are at least 30% of the payment, so x3.5 always exceeds it.
            return f"{float(value) * rng.uniform(3.5, 5.0) + 1:.2f}"
        raise ValueError(f"no value corruption for {defect}")

    def _corrupt_line(self, defect: str, line: bytes, rng: np.random.Generator) -> bytes:
        # Simulator fields never contain commas, so a plain split finds the fields.
        fields = line.split(b",")
        if defect == MALFORMED_LINE:
            # A truncated record: the sender cut the line short.
            keep = int(rng.integers(1, max(2, len(fields) - 1)))
            return b",".join(fields[:keep])
        if defect == BAD_ENCODING:
            # Text sent in Latin-1 instead of UTF-8: "caf\xe9" is not valid UTF-8.
            target = self.out.columns.index(self.plan[BAD_ENCODING])
            fields[target] = fields[target] + b" caf\xe9"
            return b",".join(fields)
        raise ValueError(f"no line corruption for {defect}")
