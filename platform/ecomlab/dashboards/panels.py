"""What a board is made of: charts (pyecharts options), tables, KPI cards and empty states.

Charts are built with pyecharts and kept as plain option dictionaries (no JavaScript
functions), so that a page can embed them as a JSON data block and nothing from the data
is ever written into code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyecharts import options as opts
from pyecharts.charts import Bar, Funnel, Graph, HeatMap, Line, Pie
from pyecharts.charts.chart import Chart

from ecomlab.dashboards.catalog import Label


@dataclass
class ChartPanel:
    key: str
    title: str
    options: dict
    notes: list[str] = field(default_factory=list)
    height: int = 300
    kind: str = "chart"


@dataclass
class TablePanel:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    notes: list[str] = field(default_factory=list)
    kind: str = "table"


@dataclass
class Card:
    key: str
    name: str
    value: str
    change: str
    definition: str


@dataclass
class KpiPanel:
    key: str
    title: str
    cards: list[Card]
    notes: list[str] = field(default_factory=list)
    kind: str = "kpi"


@dataclass
class EmptyPanel:
    key: str
    title: str
    reason: str
    notes: list[str] = field(default_factory=list)
    kind: str = "empty"


Panel = ChartPanel | TablePanel | KpiPanel | EmptyPanel


def label_notes(label: Label) -> list[str]:
    """The catalog's definition and formula of an indicator, shown under its charts."""
    notes = [label.definition] if label.definition else []
    if label.formula:
        notes.append(f"Formula: {label.formula}")
    return notes


def title_of(label: Label) -> str:
    return f"{label.name} ({label.unit})" if label.unit else label.name


def number(value) -> float | None:
    """A JSON-safe number: NaN (a NULL in the mart) becomes None, integers stay integers."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() else round(value, 6)


def fmt(value, unit: str = "") -> str:
    value = number(value)
    if value is None:
        return "no value"
    if unit in ("%", "percent"):
        return f"{value:,.2f} %"
    text = f"{value:,.0f}" if isinstance(value, int) or abs(value) >= 1000 else f"{value:,.4g}"
    return f"{text} {unit}".strip()


def _init() -> opts.InitOpts:
    # No animation: a page shows its final state at once (and screenshots are stable).
    return opts.InitOpts(animation_opts=opts.AnimationOpts(animation=False))


def _options(chart: Chart) -> dict:
    return json.loads(chart.dump_options())


_NO_LABEL = opts.LabelOpts(is_show=False)
_LEGEND = opts.LegendOpts(type_="scroll", pos_top="0")


def line(x: Sequence[str], series: dict[str, list], y_name: str = "", area: bool = False) -> dict:
    chart = Line(init_opts=_init()).add_xaxis(list(x))
    for name, values in series.items():
        chart.add_yaxis(
            name,
            [number(v) for v in values],
            label_opts=_NO_LABEL,
            is_connect_nones=False,
            areastyle_opts=opts.AreaStyleOpts(opacity=0.15 if area else 0),
        )
    chart.set_global_opts(
        legend_opts=_LEGEND,
        tooltip_opts=opts.TooltipOpts(trigger="axis"),
        yaxis_opts=opts.AxisOpts(name=y_name),
        datazoom_opts=[opts.DataZoomOpts(type_="inside")] if len(x) > 30 else None,
    )
    return _options(chart)


def bar(
    x: Sequence[str], series: dict[str, list], y_name: str = "", stack: str | None = None, horizontal: bool = False
) -> dict:
    chart = Bar(init_opts=_init()).add_xaxis(list(x))
    for name, values in series.items():
        chart.add_yaxis(name, [number(v) for v in values], stack=stack, label_opts=_NO_LABEL)
    if horizontal:
        chart.reversal_axis()
    chart.set_global_opts(
        legend_opts=_LEGEND,
        tooltip_opts=opts.TooltipOpts(trigger="axis"),
        yaxis_opts=opts.AxisOpts(name="" if horizontal else y_name),
        xaxis_opts=opts.AxisOpts(name=y_name if horizontal else "", axislabel_opts=opts.LabelOpts(rotate=0)),
    )
    return _options(chart)


def pie(name: str, pairs: Sequence[tuple[str, float]]) -> dict:
    chart = Pie(init_opts=_init()).add(
        name,
        [(k, number(v)) for k, v in pairs],
        radius=["35%", "65%"],
        label_opts=opts.LabelOpts(formatter="{b}: {d}%"),
    )
    chart.set_global_opts(legend_opts=_LEGEND, tooltip_opts=opts.TooltipOpts(trigger="item"))
    return _options(chart)


def funnel(name: str, pairs: Sequence[tuple[str, float]]) -> dict:
    data = [(k, number(v)) for k, v in pairs]
    # ECharts maps values onto widths between min and max, and max defaults to 100: without the
    # data's own maximum every stage above 100 would be drawn at full width.
    top = max((v for _, v in data if v is not None), default=0) or 1
    chart = Funnel(init_opts=_init()).add(
        name,
        data,
        min_=0,
        max_=top,
        sort_="descending",
        label_opts=opts.LabelOpts(position="inside", formatter="{b}: {c}"),
    )
    chart.set_global_opts(legend_opts=_LEGEND, tooltip_opts=opts.TooltipOpts(trigger="item"))
    return _options(chart)


def heatmap(x: Sequence[str], y: Sequence[str], cells: Sequence[tuple[int, int, float]], name: str) -> dict:
    values = [number(v) for _, _, v in cells]
    top = max((v for v in values if v is not None), default=1) or 1
    chart = HeatMap(init_opts=_init()).add_xaxis(list(x))
    chart.add_yaxis(name, list(y), [[i, j, number(v)] for i, j, v in cells], label_opts=opts.LabelOpts(is_show=True))
    chart.set_global_opts(
        tooltip_opts=opts.TooltipOpts(trigger="item"),
        visualmap_opts=opts.VisualMapOpts(min_=0, max_=top, orient="horizontal", pos_left="center", pos_bottom="0"),
        legend_opts=opts.LegendOpts(is_show=False),
    )
    return _options(chart)


def graph(nodes: Sequence[tuple[str, float]], links: Sequence[tuple[str, str, float]], name: str) -> dict:
    top = max((size for _, size in nodes), default=1) or 1
    chart = Graph(init_opts=_init()).add(
        name,
        [opts.GraphNode(name=n, value=number(s), symbol_size=12 + 24 * s / top) for n, s in nodes],
        [opts.GraphLink(source=a, target=b, value=number(v)) for a, b, v in links],
        layout="circular",
        is_rotate_label=True,
        edge_symbol=["none", "arrow"],
        linestyle_opts=opts.LineStyleOpts(curve=0.2, opacity=0.7),
        label_opts=opts.LabelOpts(position="right"),
    )
    chart.set_global_opts(legend_opts=opts.LegendOpts(is_show=False), tooltip_opts=opts.TooltipOpts(trigger="item"))
    return _options(chart)
