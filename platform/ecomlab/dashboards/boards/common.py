"""What every board shares: its context and the indicator charts drawn from the catalog."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.catalog import Label
from ecomlab.dashboards.data import BoardData
from ecomlab.dashboards.filters import Filters


@dataclass
class BoardContext:
    data: BoardData
    labels: list[Label]

    @property
    def filters(self) -> Filters:
        return self.data.filters

    def labels_of(self, category: str) -> list[Label]:
        """The catalog's indicators of `category` that are computed for this page's data set."""
        computed = self.data.computed if self.data.indicators is not None else set()
        return [label for label in self.labels if label.category == category and label.id in computed]

    def catalog_has(self, category: str) -> bool:
        return any(label.category == category for label in self.labels)


def natural(values) -> list[str]:
    """Dimension values in a readable order: numbers by value (hours, days), text alphabetically."""
    values = list(values)
    if values and all(str(v).lstrip("-").isdigit() for v in values):
        return sorted(values, key=int)
    return sorted(values, key=str)


def _null_notes(rows: pd.DataFrame) -> list[str]:
    missing = rows[rows["value"].isna()]
    notes = []
    for row in missing.itertuples(index=False):
        where = f" {row.dimension}={row.dimension_value}" if row.dimension else ""
        notes.append(f"No value on {row.dt}{where}: {row.null_reason or 'no reason given'}")
    return notes[:5] + ([f"... and {len(notes) - 5} more days without a value"] if len(notes) > 5 else [])


def indicator_rows(ctx: BoardContext, label: Label, dimension: str = "") -> pd.DataFrame:
    frame = ctx.data.indicators
    rows = frame[(frame["indicator_id"] == label.id) & (frame["dimension"] == dimension)]
    wanted = ctx.filters.dimensions.get(dimension)
    if dimension and wanted is not None:
        rows = rows[rows["dimension_value"] == wanted]
    return rows


def trend_panel(ctx: BoardContext, label: Label) -> p.Panel | None:
    rows = indicator_rows(ctx, label)
    if rows.empty:
        return None
    options = p.line(rows["dt"].tolist(), {label.name: rows["value"].tolist()}, label.unit, area=True)
    return p.ChartPanel(f"trend:{label.id}", p.title_of(label), options, p.label_notes(label) + _null_notes(rows))


def dimensions_of(ctx: BoardContext, label: Label) -> list[str]:
    frame = ctx.data.indicators
    dims = frame.loc[frame["indicator_id"] == label.id, "dimension"].unique()
    return sorted(d for d in dims if d)


def by_dimension_panel(ctx: BoardContext, label: Label, dimension: str, kind: str = "line") -> p.Panel | None:
    rows = indicator_rows(ctx, label, dimension)
    if rows.empty:
        return None
    days = sorted(rows["dt"].unique())
    table = rows.pivot_table(index="dt", columns="dimension_value", values="value", aggfunc="first", dropna=False)
    table = table.reindex(days)
    series = {value: table[value].tolist() for value in natural(table.columns)}
    options = p.line(days, series, label.unit) if kind == "line" else p.bar(days, series, label.unit)
    title = f"{p.title_of(label)} by {dimension}"
    return p.ChartPanel(f"by:{label.id}:{dimension}", title, options, p.label_notes(label) + _null_notes(rows))


def latest_by(ctx: BoardContext, label: Label, dimension: str) -> tuple[str, list[tuple[str, float]]] | None:
    """The latest day in range and each value of `dimension` on it (for rankings, shares, funnels)."""
    rows = indicator_rows(ctx, label, dimension)
    rows = rows[rows["value"].notna()]
    if rows.empty:
        return None
    day = rows["dt"].max()
    on_day = rows[rows["dt"] == day]
    return day, [(r.dimension_value, r.value) for r in on_day.itertuples(index=False)]


def category_panels(ctx: BoardContext, category: str, kind: str = "line", skip: tuple[str, ...] = ()) -> list[p.Panel]:
    """A trend per indicator of `category` and a chart per dimension it is broken down by."""
    if ctx.data.indicators is None:
        return [
            p.EmptyPanel(f"empty:{category}", f"{category.title()} indicators", ctx.data.missing("indicator_daily"))
        ]
    labels = ctx.labels_of(category)
    if not ctx.labels:
        reason = "No indicator catalog is available (the indicators package provides it)."
        return [p.EmptyPanel(f"empty:{category}", f"{category.title()} indicators", reason)]
    if not ctx.catalog_has(category):
        reason = f"The indicator catalog has no {category!r} indicators."
        return [p.EmptyPanel(f"empty:{category}", f"{category.title()} indicators", reason)]
    if not labels:
        reason = f"No {category} indicator is computed for the {ctx.data.dataset} data set."
        return [p.EmptyPanel(f"empty:{category}", f"{category.title()} indicators", reason)]
    panels: list[p.Panel] = []
    without = []
    for label in labels:
        made = [trend_panel(ctx, label)]
        made += [by_dimension_panel(ctx, label, dim, kind) for dim in dimensions_of(ctx, label) if dim not in skip]
        made = [panel for panel in made if panel is not None]
        if not made and not dimensions_of(ctx, label):
            without.append(label.name)
        panels += made
    if without:
        reason = f"No rows in the chosen range for {', '.join(without)}."
        panels.append(p.EmptyPanel(f"empty:{category}", f"{category.title()} indicators without data", reason))
    return panels


def is_rank(label: Label) -> bool:
    """A position (1 = first), not a quantity: shown as an ordered list, never as bar lengths or shares."""
    return label.unit == "rank"


def rank_table_panels(ctx: BoardContext, category: str, dimension: str, ours: str = "") -> list[p.Panel]:
    """Each rank indicator of `category` as a table of `dimension` values in rank order on the latest day."""
    if ctx.data.indicators is None:
        return []
    panels: list[p.Panel] = []
    for label in ctx.labels_of(category):
        if not is_rank(label):
            continue
        found = latest_by(ctx, label, dimension)
        if found is None:
            continue
        day, pairs = found
        rows = [
            [p.fmt(rank), f"{value} (ours)" if value == ours else str(value)]
            for value, rank in sorted(pairs, key=lambda pair: (pair[1], str(pair[0])))
        ]
        panels.append(
            p.TablePanel(
                f"rank:{label.id}:{dimension}",
                f"{label.name} on {day}",
                ["rank", dimension],
                rows,
                p.label_notes(label),
            )
        )
    return panels
