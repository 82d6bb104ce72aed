"""Market share and ranking: our site against competitors on the latest day, and trends."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.campaigns import ranking_panels
from ecomlab.dashboards.boards.common import BoardContext, category_panels, is_rank, latest_by, rank_table_panels

SLUG = "market"
TITLE = "Market share and ranking"
SUMMARY = "Each site's share of the market and its rank, from competitors' visitors, sales and prices."
CATEGORY = "market"


def share_panels(ctx: BoardContext) -> list[p.Panel]:
    if ctx.data.indicators is None:
        return []
    panels: list[p.Panel] = []
    for label in ctx.labels_of(CATEGORY):
        if is_rank(label):  # positions do not add up to a whole
            continue
        found = latest_by(ctx, label, "site")
        if found is None:
            continue
        day, pairs = found
        pairs = sorted(pairs, key=lambda pair: -pair[1])
        panels.append(
            p.ChartPanel(
                f"share:{label.id}",
                f"{p.title_of(label)}: share by site on {day}",
                p.pie(label.name, pairs),
                p.label_notes(label),
            )
        )
    return panels


def build(ctx: BoardContext) -> list[p.Panel]:
    # Our own site's rows in the market indicators carry the data set's name ('shop').
    ranks = rank_table_panels(ctx, CATEGORY, "site", ours=ctx.data.dataset)
    return (
        share_panels(ctx)
        + ranks
        + ranking_panels(ctx, CATEGORY, "site")
        + category_panels(ctx, CATEGORY, skip=("site",))
    )
