"""Campaign ROI: each campaign indicator ranked by campaign on the latest day, and trends."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels, is_rank, latest_by

SLUG = "campaigns"
TITLE = "Campaign ROI"
SUMMARY = "Return on ad spend and other campaign indicators, campaign by campaign."
CATEGORY = "campaigns"


def ranking_panels(ctx: BoardContext, category: str, dimension: str) -> list[p.Panel]:
    """A horizontal bar per indicator of `category`: its values by `dimension` on the latest day, largest on top."""
    if ctx.data.indicators is None:
        return []
    panels: list[p.Panel] = []
    for label in ctx.labels_of(category):
        if is_rank(label):
            continue
        found = latest_by(ctx, label, dimension)
        if found is None:
            continue
        day, pairs = found
        pairs = sorted(pairs, key=lambda pair: pair[1])  # horizontal bars: last is drawn on top
        options = p.bar([k for k, _ in pairs], {label.name: [v for _, v in pairs]}, label.unit, horizontal=True)
        panels.append(
            p.ChartPanel(
                f"rank:{label.id}:{dimension}",
                f"{p.title_of(label)} by {dimension} on {day}",
                options,
                p.label_notes(label),
                height=max(260, 26 * len(pairs) + 80),
            )
        )
    return panels


def build(ctx: BoardContext) -> list[p.Panel]:
    return ranking_panels(ctx, CATEGORY, "campaign") + category_panels(ctx, CATEGORY, skip=("campaign",))
