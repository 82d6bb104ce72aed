"""Data quality: the latest cleaning run per table: rows in, to DWD, quarantined, merged, score."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext

SLUG = "quality"
TITLE = "Data quality"
SUMMARY = "What the last cleaning run did to each table, and its quality score."


def build(ctx: BoardContext) -> list[p.Panel]:
    # The run that finished last (run ids are not ordered: manual, scheduled and CLI runs mix).
    last = ctx.data.read(
        "quality_summary",
        "SELECT run_id, passed FROM quality_summary WHERE dataset = :dataset "
        "ORDER BY finished_at DESC, run_id DESC LIMIT 1",
    )
    if last is None or last.empty:
        reason = ctx.data.missing("quality_summary") or "No quality rows for this data set."
        return [p.EmptyPanel("empty:quality", "Data quality", reason)]
    run, passed = str(last["run_id"].iloc[0]), bool(last["passed"].iloc[0])
    frame = ctx.data.read(
        "quality_summary",
        "SELECT table_name, rows_in, dwd_rows, quarantined, merged, score FROM quality_summary "
        "WHERE dataset = :dataset AND run_id = :run ORDER BY table_name",
        run=run,
    )
    verdict = "passed the quality gate" if passed else "failed the quality gate: DWD was left as it was"
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
                "Score after correction: the equal-weight mean of completeness, validity, uniqueness, "
                "consistency, timeliness and accuracy.",
                f"Run {run} {verdict}.",
            ],
        ),
        p.ChartPanel("quality:rows", f"Where the rows went (run {run})", p.bar(tables, rows_out, "rows", stack="rows")),
        p.TablePanel(
            "quality", f"Cleaning run {run}", ["table", "rows in", "to DWD", "quarantined", "merged", "score"], rows
        ),
    ]
