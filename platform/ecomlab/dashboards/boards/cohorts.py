"""Cohort retention: the share of each cohort still active after n periods, as a heatmap."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, natural

SLUG = "cohorts"
TITLE = "Cohort retention"
SUMMARY = "Each cohort's retention by period since its first purchase."


def build(ctx: BoardContext) -> list[p.Panel]:
    frame = ctx.data.read(
        "mining_cohort_retention",
        "SELECT cohort, period, users, retained, retention FROM mining_cohort_retention WHERE dataset = :dataset",
    )
    if frame is None:
        return [p.EmptyPanel("empty:cohorts", "Cohort retention", ctx.data.missing("mining_cohort_retention"))]
    if frame.empty:
        return [p.EmptyPanel("empty:cohorts", "Cohort retention", "No cohort rows for this data set.")]
    frame["cohort"] = frame["cohort"].astype(str).str.slice(0, 10)
    cohorts = [c for c in natural(frame["cohort"].unique()) if ctx.filters.in_range(c)]
    frame = frame[frame["cohort"].isin(cohorts)]
    periods = natural(frame["period"].astype(int).astype(str).unique())
    x_of, y_of = {s: i for i, s in enumerate(periods)}, {s: i for i, s in enumerate(cohorts)}
    cells = [(x_of[str(int(r.period))], y_of[r.cohort], r.retention) for r in frame.itertuples(index=False)]
    sizes = frame.groupby("cohort")["users"].max()
    rows = [[c, int(sizes[c])] for c in cohorts]
    return [
        p.ChartPanel(
            "cohorts",
            "Retention by cohort and period",
            p.heatmap(periods, cohorts, cells, "retention"),
            ["Retention = retained users / users of the cohort."],
            height=max(300, 28 * len(cohorts) + 120),
        ),
        p.TablePanel("cohort-sizes", "Cohort sizes", ["cohort", "users"], rows),
    ]
