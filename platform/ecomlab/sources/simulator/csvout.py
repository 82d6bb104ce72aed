"""Vectorised CSV output: typed numpy columns -> text columns -> lines -> bytes.

The simulator writes millions of rows; formatting them one by one in Python would
dominate its run time, so every step here works on whole Arrow arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EMPTY = pa.scalar("", pa.string())


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    text = pc.cast(pa.array(values, pa.int64()), pa.string())
    return text if missing is None else pc.if_else(pa.array(missing), EMPTY, text)


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents as a decimal string with two places (exact, no float rounding)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(np.abs(cents) // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(np.abs(cents) % 100), pa.string()), width=2, padding="0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    return pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)


def timestamps(epoch_seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    ts = pa.array(np.asarray(epoch_seconds, dtype=np.int64), pa.timestamp("s"))
    text = pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")
    return text if missing is None else pc.if_else(pa.array(missing), EMPTY, text)


def dates(epoch_seconds: np.ndarray) -> pa.Array:
    ts = pa.array(np.asarray(epoch_seconds, dtype=np.int64), pa.timestamp("s"))
    return pc.strftime(ts, format="%Y-%m-%d")


def labels(codes: np.ndarray, names: list[str], missing: np.ndarray | None = None) -> pa.Array:
    text = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(names)).dictionary_decode()
    return text if missing is None else pc.if_else(pa.array(missing), EMPTY, text)


def constant(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


def render_lines(columns: list[pa.Array]) -> pa.Array:
    """One binary value per row: the fields joined by commas, without the newline."""
    return pc.cast(pc.binary_join_element_wise(*columns, ","), pa.binary())


def lines_to_bytes(lines: pa.Array) -> bytes:
    """Concatenate lines with a newline after each, using Arrow's buffers directly."""
    if len(lines) == 0:
        return b""
    joined = pc.binary_join_element_wise(lines, pa.scalar(b""), b"\n")
    joined = pa.concat_arrays([joined])  # fresh, unsliced buffers
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=len(joined) + 1)
    return joined.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


class CsvFile:
    """One output CSV (header plus appended chunks) that knows how many lines it holds."""

    def __init__(self, path: Path, columns: tuple[str, ...]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.columns = columns
        self._handle = path.open("wb")
        self._handle.write((",".join(columns) + "\n").encode())
        self.lines = 1
        self.rows = 0

    def append(self, lines: pa.Array) -> int:
        """Write rows; returns the line number (1-based) of the first one."""
        first = self.lines + 1
        self._handle.write(lines_to_bytes(lines))
        self.lines += len(lines)
        self.rows += len(lines)
        return first

    def close(self) -> None:
        self._handle.close()
