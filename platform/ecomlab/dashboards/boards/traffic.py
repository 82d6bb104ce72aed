"""Traffic by channel: the traffic indicators per channel (and other dimensions), and activity."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels, natural

SLUG = "traffic"
TITLE = "Traffic by channel"
SUMMARY = "Visits, visitors and page views per channel and page; activity by hour and weekday."
CATEGORY = "traffic"


def activity_panels(ctx: BoardContext) -> list[p.Panel]:
    frame = ctx.data.read("mining_activity", "SELECT kind, slot, events FROM mining_activity WHERE dataset = :dataset")
    if frame is None:
        return [p.EmptyPanel("empty:activity", "Activity by hour and weekday", ctx.data.missing("mining_activity"))]
    panels: list[p.Panel] = []
    for kind in ("hour", "weekday"):
        rows = frame[frame["kind"] == kind]
        if rows.empty:
            continue
        by_slot = dict(zip(rows["slot"].astype(str), rows["events"], strict=True))
        slots = natural(by_slot)
        options = p.bar(slots, {"events": [by_slot[s] for s in slots]}, "events")
        panels.append(p.ChartPanel(f"activity:{kind}", f"Events by {kind}", options))
    return panels or [
        p.EmptyPanel("empty:activity", "Activity by hour and weekday", "No activity rows for this data set.")
    ]


def build(ctx: BoardContext) -> list[p.Panel]:
    return category_panels(ctx, CATEGORY, kind="bar") + activity_panels(ctx)
