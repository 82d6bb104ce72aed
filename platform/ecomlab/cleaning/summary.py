"""The results-mart summary of a cleaning run: one row per table, read by the data quality board.

The report (JSON and HTML in the lake) stays the full record; this is the part a dashboard
needs. Rows are grouped by the data set that owns each ODS table and written per
(data set, run id), so repeating a run replaces its rows and earlier runs stay readable.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from ecomlab.cleaning.spec import DIMENSIONS

COLUMNS = [
    "dataset",
    "run_id",
    "finished_at",
    "passed",
    "table_name",
    "days",
    "rows_in",
    "dwd_rows",
    "quarantined",
    "merged",
    "score",
]


def dataset_of_table() -> dict[str, str]:
    """ODS table -> the data set (source) that lands it."""
    from ecomlab.sources.registry import all_entities

    return {entity.ods_table: source for source, entities in all_entities().items() for entity in entities}


def table_score(scores_after: dict[str, float]) -> float:
    """One number per table: the equal-weight mean of the six dimensions after correction."""
    return sum(float(scores_after[d]) for d in DIMENSIONS) / len(DIMENSIONS)


def summary_frames(report: dict, finished_at: str | None = None) -> dict[str, pd.DataFrame]:
    """The report's tables as summary rows, one frame per data set."""
    owners = dataset_of_table()
    finished_at = finished_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows: dict[str, list[dict]] = {}
    for table, entry in report["tables"].items():
        if table not in owners:
            raise KeyError(f"cleaned table {table!r} belongs to no known data set; known: {sorted(owners)}")
        rows.setdefault(owners[table], []).append(
            {
                "dataset": owners[table],
                "run_id": str(report["run_id"]),
                "finished_at": finished_at,
                "passed": bool(report["passed"]),
                "table_name": table,
                "days": len(entry["days"]),
                "rows_in": int(entry["rows_in"]),
                "dwd_rows": int(entry["dwd_rows"]),
                "quarantined": int(entry["quarantined"]),
                "merged": int(entry["merged"]),
                "score": round(table_score(entry["scores_after"]), 6),
            }
        )
    return {dataset: pd.DataFrame(found, columns=COLUMNS) for dataset, found in rows.items()}


def write_summary(mart, report: dict, finished_at: str | None = None) -> dict[str, int]:
    """Replace the run's rows of every data set in the mart, in one transaction; rows per data set."""
    frames = summary_frames(report, finished_at)
    run_id = str(report["run_id"])
    mart.replace_many("quality_summary", [(f, {"dataset": d, "run_id": run_id}) for d, f in frames.items()])
    return {dataset: len(frame) for dataset, frame in frames.items()}
