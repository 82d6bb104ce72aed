"""Compare built indicator rows with the independent computation."""

from __future__ import annotations

import math

import pandas as pd


def mismatches(rows: pd.DataFrame, expected: dict, rel: float = 1e-9) -> tuple[list, set[str]]:
    """Rows whose value differs from the independent one; and the indicators with a value checked."""
    wrong, checked = [], set()
    for r in rows.itertuples(index=False):
        key = (r.dt, r.indicator_id, r.dimension, r.dimension_value)
        if key not in expected:
            if pd.isna(r.value) and r.null_reason:
                continue  # undefined there too: the independent side has nothing to put
            wrong.append((key, r.value, r.null_reason, "not computed independently"))
            continue
        want = expected[key]
        if pd.isna(r.value):
            if want is not None:
                wrong.append((key, None, r.null_reason, want))
            continue
        if want is None or not math.isclose(r.value, want, rel_tol=rel, abs_tol=1e-12):
            wrong.append((key, r.value, r.null_reason, want))
        else:
            checked.add(r.indicator_id)
    computed = {(r.dt, r.indicator_id, r.dimension, r.dimension_value) for r in rows.itertuples(index=False)}
    for key, want in expected.items():
        if key not in computed and want is not None:
            wrong.append((key, "missing", None, want))
    return wrong, checked
