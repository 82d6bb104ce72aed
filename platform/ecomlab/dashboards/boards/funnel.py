"""The conversion funnel: stages on the latest day, conversion trends, and converting paths."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels, latest_by

SLUG = "funnel"
TITLE = "Conversion funnel"
SUMMARY = "From visit to purchase: funnel stages, conversion rates and the paths that end in a purchase."
CATEGORY = "conversion"
# Units of rates: not parts of a whole, so not drawn as a funnel.
RATE_UNITS = ("ratio", "%", "percent")


# The funnel's stages in the order a visitor passes them; stages not listed here follow.
STAGE_ORDER = ("view", "favourite", "cart", "order", "pay", "buy")


def stage_key(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


def funnel_panels(ctx: BoardContext) -> list[p.Panel]:
    """Counts by stage as a funnel; rates by stage (each stage against the one before) as bars in stage order."""
    if ctx.data.indicators is None:
        return []
    panels: list[p.Panel] = []
    for label in ctx.labels:
        if label.id not in ctx.data.computed:
            continue
        found = latest_by(ctx, label, "stage")
        if found is None:
            continue
        day, pairs = found
        pairs = sorted(pairs, key=lambda pair: stage_key(str(pair[0])))
        title = f"{p.title_of(label)} by stage on {day}"
        if label.unit in RATE_UNITS:
            options = p.bar([k for k, _ in pairs], {label.name: [v for _, v in pairs]}, label.unit)
            panels.append(p.ChartPanel(f"steps:{label.id}", title, options, p.label_notes(label)))
        else:
            panels.append(
                p.ChartPanel(f"funnel:{label.id}", title, p.funnel(label.name, pairs), p.label_notes(label), height=340)
            )
    return panels


def path_panel(ctx: BoardContext) -> p.Panel:
    frame = ctx.data.read(
        "mining_paths",
        "SELECT rank, path, purchases FROM mining_paths WHERE dataset = :dataset ORDER BY rank LIMIT 15",
    )
    if frame is None:
        return p.EmptyPanel("empty:paths", "Paths to purchase", ctx.data.missing("mining_paths"))
    rows = [[int(r.rank), r.path, int(r.purchases)] for r in frame.itertuples(index=False)]
    return p.TablePanel("paths", "Paths to purchase (top 15)", ["rank", "path", "purchases"], rows)


def build(ctx: BoardContext) -> list[p.Panel]:
    return funnel_panels(ctx) + category_panels(ctx, CATEGORY, skip=("stage",)) + [path_panel(ctx)]
