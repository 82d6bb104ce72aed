"""KPI overview: the overall indicators' latest values, day-on-day change and trends."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels, indicator_rows

SLUG = "overview"
TITLE = "KPI overview"
SUMMARY = "Headline indicators: latest value, change on the day before, and trends."
CATEGORY = "overall"


def _card(ctx: BoardContext, label) -> p.Card:
    rows = indicator_rows(ctx, label)
    if rows.empty:
        return p.Card(f"kpi:{label.id}", label.name, "no data", "", label.definition)
    last = rows.iloc[-1]
    value = p.fmt(last["value"], label.unit)
    change = ""
    if len(rows) > 1 and p.number(last["value"]) is not None and p.number(rows.iloc[-2]["value"]):
        before = rows.iloc[-2]["value"]
        change = f"{(last['value'] - before) / abs(before) * 100:+.1f} % on {rows.iloc[-2]['dt']}"
    return p.Card(f"kpi:{label.id}", label.name, f"{value} on {last['dt']}", change, label.definition)


def build(ctx: BoardContext) -> list[p.Panel]:
    panels: list[p.Panel] = []
    labels = ctx.labels_of(CATEGORY)
    if ctx.data.indicators is not None and labels:
        panels.append(p.KpiPanel("kpis", "Latest values", [_card(ctx, label) for label in labels]))
    return panels + category_panels(ctx, CATEGORY)
