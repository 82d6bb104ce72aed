"""Build a data set's indicators for some days: DWD -> DWS summaries -> indicator rows.

Every value is a number or NULL with a reason, never infinity or a crash:
- "no data for the day": neither the data set's main table nor the indicator's sources have the day;
- "late data: ...": the day has arrived (in the main table or another source), a source of the indicator not yet;
- "division by zero": the denominator is zero (no visitors, an empty cohort, ...);
- "no data to compare with": the comparison value (the previous day, the baseline) is missing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from ecomlab.indicators.catalog import Indicator, load_catalog
from ecomlab.indicators.definitions import CUSTOM, MEASURED, MEASURES, VIEW_DIMENSIONS, is_ratio, views_of
from ecomlab.indicators.dws import ADAPTERS, Window, sql_list

COLUMNS = ["dataset", "dt", "indicator_id", "dimension", "dimension_value", "value", "null_reason"]
NO_DATA = "no data for the day"
DIVISION_BY_ZERO = "division by zero"
NO_COMPARISON = "no data to compare with"


class IndicatorError(ValueError):
    """A request the indicator system cannot serve: names what is wrong."""


@dataclass
class Built:
    dataset: str
    days: list[str]
    rows: pd.DataFrame  # COLUMNS
    indicators: list[str]


def indicators_for(dataset: str, category: str | None = None) -> list[Indicator]:
    if dataset not in ADAPTERS:
        raise IndicatorError(f"unknown data set {dataset!r}; known: {', '.join(sorted(ADAPTERS))}")
    chosen = [i for i in load_catalog() if dataset in i.datasets and (category is None or i.category == category)]
    if category is not None and not chosen:
        raise IndicatorError(f"no indicator of category {category!r} for data set {dataset!r}")
    return chosen


def build(engine, dataset: str, days: list[str], category: str | None = None, advance=lambda n: None) -> Built:
    """Compute the indicators of `dataset` for `days` on `engine` (Spark or DuckDB)."""
    if not days:
        raise IndicatorError("no days to build indicators for")
    days = sorted(set(days))
    chosen = indicators_for(dataset, category)
    adapter = ADAPTERS[dataset](engine)
    window = Window(tuple(days))
    engine.begin()
    try:
        engine.register("cal", window.calendar())
        engine.view("req", f"SELECT * FROM cal WHERE day IN ({sql_list(days)})")
        availability: dict[str, set[str]] = defaultdict(set)
        present_tables = [t for t in adapter.tables if adapter.has_table(t)]
        if present_tables:
            for source, found in adapter.available_days(window).items():
                availability[source] |= found
            for table in adapter.sparse:
                availability[f"dwd.{table}"] = set(availability[f"dwd.{adapter.main}"])
        views = adapter.views(window) if present_tables == list(adapter.tables) else []
        for name, sql in views:
            engine.view(name, sql)
        advance(1)
        have_views = {name for name, _ in views}
        computable = [i for i in chosen if views_of(i.id) <= have_views]
        raw = _compute(engine, computable, days)
    finally:
        engine.release()
    advance(1)
    rows = _finalize(dataset, days, chosen, adapter.tables, availability, raw, adapter.snapshots, adapter.main)
    return Built(dataset, days, rows, [i.id for i in chosen])


def _compute(engine, indicators: list[Indicator], days: list[str]) -> pd.DataFrame:
    """Raw rows (day, indicator_id, dimension, dimension_value, num, den) of every indicator."""
    in_days = sql_list(days)
    frames = []
    # Measures: one aggregate query per summary, its breakdowns as grouping sets.
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for indicator in indicators:
        spec = MEASURED.get(indicator.id)
        if spec is None:
            continue
        for dim in ("day", *indicator.dimensions) if "day" in indicator.grain else indicator.dimensions:
            for measure in filter(None, (spec.num, spec.den)):
                view = MEASURES[measure][0]
                if dim != "day" and dim not in VIEW_DIMENSIONS[view]:
                    raise IndicatorError(f"{indicator.id}: summary {view} has no {dim!r} breakdown")
                wanted[(view, dim)].add(measure)
    by_view: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for (view, dim), measures in wanted.items():
        by_view[view][dim] = measures
    queries = [_measure_query(view, dims, in_days) for view, dims in sorted(by_view.items())]
    # Custom SQL: each statement once, however many indicators it gives.
    statements: dict[str, set[str]] = defaultdict(set)
    for indicator in indicators:
        if indicator.id in CUSTOM:
            statements[CUSTOM[indicator.id].sql].add(indicator.id)
    customs = [(ids, f"SELECT * FROM ({sql}) x WHERE day IN ({in_days})") for sql, ids in statements.items()]
    # Every statement is independent of the others: the engine may run them side by side.
    results = engine.frames(queries + [sql for _, sql in customs])
    measure_results, custom_results = results[: len(queries)], results[len(queries) :]
    measured = [
        frame.melt(id_vars=["day", "dimension", "dimension_value"], var_name="measure", value_name="v")
        for frame in measure_results
    ]
    if measured:
        long = pd.concat(measured, ignore_index=True)
        keys = ["day", "dimension", "dimension_value"]
        for indicator in indicators:
            spec = MEASURED.get(indicator.id)
            if spec is None:
                continue
            dims = {"" if d == "day" else d for d in indicator.grain}
            num = long[(long.measure == spec.num) & long.dimension.isin(dims)][[*keys, "v"]].rename(
                columns={"v": "num"}
            )
            if spec.den:
                den = long[(long.measure == spec.den) & long.dimension.isin(dims)][[*keys, "v"]]
                both = num.merge(den.rename(columns={"v": "den"}), on=keys, how="outer")
                # A breakdown present on one side only: the other side counted nothing there.
                both["num"] = both["num"].fillna(0.0)
                both["den"] = both["den"].fillna(0.0)
            else:
                both = num.assign(den=float("nan"))
            frames.append(both.assign(indicator_id=indicator.id))
    for (ids, _), frame in zip(customs, custom_results, strict=True):
        frames.append(frame[frame.indicator_id.isin(ids)])
    if not frames:
        return pd.DataFrame(columns=["day", "indicator_id", "dimension", "dimension_value", "num", "den"])
    return pd.concat(frames, ignore_index=True)


def _measure_query(view: str, dims: dict[str, set[str]], in_days: str) -> str:
    """One aggregate query over `view` for all its breakdowns (grouping sets: one pass, not one per breakdown).

    Rows: day, dimension ('' for the whole day), dimension_value, then one column per measure.
    A breakdown leaves out the rows whose dimension is NULL; the whole day counts them.
    """
    names = sorted(set().union(*dims.values()))
    aggregates = ", ".join(f"CAST({MEASURES[m][1]} AS DOUBLE) AS {m}" for m in names)
    columns = [(dim, VIEW_DIMENSIONS[view][dim]) for dim in sorted(dims) if dim != "day"]
    if len({column for _, column in columns}) < len(columns):
        raise IndicatorError(f"summary {view}: two breakdowns on one column")
    sets = ", ".join([*(["(day)"] if "day" in dims else []), *(f"(day, {column})" for _, column in columns)])
    picked = " ".join(f"WHEN grouping({column}) = 0 THEN '{dim}'" for dim, column in columns)
    values = " ".join(f"WHEN grouping({column}) = 0 THEN CAST({column} AS STRING)" for _, column in columns)
    dimension = f"CASE {picked} ELSE '' END" if columns else "''"
    value = f"CASE {values} ELSE '' END" if columns else "''"
    return (
        f"SELECT * FROM (SELECT day, {dimension} AS dimension, {value} AS dimension_value, {aggregates} "
        f"FROM {view} WHERE day IN ({in_days}) GROUP BY GROUPING SETS ({sets})) m "
        "WHERE dimension = '' OR dimension_value IS NOT NULL"
    )


def _value(num, den, ratio: bool) -> tuple[float | None, str | None]:
    num = None if num is None or (isinstance(num, float) and math.isnan(num)) else float(num)
    den = None if den is None or (isinstance(den, float) and math.isnan(den)) else float(den)
    if ratio:
        if den is None:
            return None, NO_COMPARISON
        if den == 0:
            return None, DIVISION_BY_ZERO
        if num is None:
            return None, NO_COMPARISON
        value = num / den
    else:
        if num is None:
            return None, NO_DATA
        value = num
    if not math.isfinite(value):
        return None, "not a finite number"
    return value, None


def _finalize(
    dataset: str,
    days: list[str],
    indicators: list[Indicator],
    tables: tuple[str, ...],
    availability: dict[str, set[str]],
    raw: pd.DataFrame,
    snapshots: tuple[str, ...] = (),
    main: str = "",
) -> pd.DataFrame:
    by_key: dict[tuple[str, str], list] = defaultdict(list)
    for row in raw.itertuples(index=False):
        by_key[(row.indicator_id, row.day)].append(row)
    out = []
    own = {f"dwd.{t}" for t in tables}
    timeless = {f"dwd.{t}" for t in snapshots}
    for indicator in indicators:
        sources = [s for s in indicator.sources if s in own]
        # A snapshot (the item or user list) says nothing about whether a day has arrived.
        sources = [s for s in sources if s not in timeless] or sources
        ratio = is_ratio(indicator.id)
        for day in days:
            present = [s for s in sources if day in availability.get(s, set())]
            if not present and day not in availability.get(f"dwd.{main}", set()):
                out.append((dataset, day, indicator.id, "", "", None, NO_DATA))
                continue
            if len(present) < len(sources):
                # The data set's day has arrived (its main table has it), this source not yet.
                missing = ", ".join(s for s in sources if s not in present)
                out.append(
                    (dataset, day, indicator.id, "", "", None, f"late data: {missing} has no rows for the day yet")
                )
                continue
            rows = by_key.get((indicator.id, day), [])
            if "day" in indicator.grain and not any(r.dimension == "" for r in rows):
                # The sources have the day but the summary has nothing to count.
                value, reason = (None, DIVISION_BY_ZERO) if ratio else (0.0, None)
                out.append((dataset, day, indicator.id, "", "", value, reason))
            if not rows and "day" not in indicator.grain:
                out.append((dataset, day, indicator.id, "", "", None, "nothing to break down on the day"))
            for r in rows:
                value, reason = _value(r.num, r.den, ratio)
                out.append((dataset, day, indicator.id, r.dimension, str(r.dimension_value), value, reason))
    frame = pd.DataFrame(out, columns=COLUMNS)
    return frame.sort_values(["dt", "indicator_id", "dimension", "dimension_value"], ignore_index=True)
