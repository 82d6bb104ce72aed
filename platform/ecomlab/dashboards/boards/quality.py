"""Data quality: the latest cleaning run per table: rows in, to DWD, quarantined, merged, score."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext

SLUG = "quality"
TITLE = "Data quality"
SUMMARY = "What the last cleaning run did to each table, and its quality score."


def build(ctx: BoardContext) -> list[p.Panel]:
    run = ctx.data.latest("quality_summary", "run_id")
    if run is None:
        reason = ctx.data.missing("quality_summary") or "No quality rows for this data set."
        return [p.EmptyPanel("empty:quality", "Data quality", reason)]
    frame = ctx.data.read(
        "quality_summary",
        "SELECT table_name, rows_in, dwd_rows, quarantined, merged, score FROM quality_summary "
        "WHERE dataset = :dataset AND run_id = :run ORDER BY table_name",
        run=run,
    )
    tables = frame["table_name"].astype(str).tolist()
    rows_out = {
        name: frame[column].tolist()
        for name, column in (("to DWD", "dwd_rows"), ("quarantined", "quarantined"), ("merged", "merged"))
    }
    rows = [
        [str(r.table_name), int(r.rows_in), int(r.dwd_rows), int(r.quarantined), int(r.merged), p.fmt(r.score)]
        for r in frame.itertuples(index=False)
    ]
    return [
        p.ChartPanel(
            "quality:score",
            f"Quality score per table (run {run})",
            p.bar(tables, {"score": frame["score"].tolist()}),
            [
                "Score after correction: the weighted mean of completeness, validity, uniqueness, "
                "consistency, timeliness and accuracy."
            ],
        ),
        p.ChartPanel("quality:rows", f"Where the rows went (run {run})", p.bar(tables, rows_out, "rows", stack="rows")),
        p.TablePanel(
            "quality", f"Cleaning run {run}", ["table", "rows in", "to DWD", "quarantined", "merged", "score"], rows
        ),
    ]
