"""`ecomlab indicators`: a day's values as a table, read from the mart (built first if missing)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from ecomlab.indicators.build import IndicatorError, indicators_for
from ecomlab.indicators.catalog import catalog_by_id
from ecomlab.mart import Mart


def _from_mart(mart: Mart, dataset: str, day: str) -> pd.DataFrame:
    if not mart.has_table("indicator_daily"):
        return pd.DataFrame()
    return mart.read("SELECT * FROM indicator_daily WHERE dataset = :dataset AND dt = :dt", dataset=dataset, dt=day)


def show_day(settings, console, day: str, dataset: str, category: str | None, rebuild: bool, progress) -> None:
    chosen = {i.id for i in indicators_for(dataset, category)}
    mart = Mart.from_settings(settings)
    rows = pd.DataFrame() if rebuild else _from_mart(mart, dataset, day)
    if rows.empty:
        from ecomlab.indicators.stage import run_indicators
        from ecomlab.warehouse.catalog import ensure_databases
        from ecomlab.warehouse.spark import create_spark

        spark = create_spark(settings, app_name="ecomlab-indicators")
        ensure_databases(spark, settings.warehouse_root)
        try:
            with progress.task(f"build {dataset} indicators for {day}", total=3, unit="steps") as advance:
                run_indicators(spark, mart, dataset, [day], advance)
        finally:
            spark.stop()
        rows = _from_mart(mart, dataset, day)
    rows = rows[rows.indicator_id.isin(chosen)]
    if rows.empty:
        raise IndicatorError(f"no indicator values for {dataset} on {day}")
    show(console, rows, f"{dataset} indicators on {day}" + (f" ({category})" if category else ""))


def show(console, rows: pd.DataFrame, title: str) -> None:
    catalog = catalog_by_id()
    order = {i: n for n, i in enumerate(catalog)}
    # Funnel stages in funnel order, hours and cohorts by number, the rest by name.
    stage = {"view": "0", "cart": "1", "order": "2", "pay": "3"}
    key = rows.dimension_value.map(lambda v: stage.get(v) or (v.zfill(8) if v.isdigit() else v))
    rows = rows.assign(_o=rows.indicator_id.map(order), _k=key).sort_values(["_o", "dimension", "_k"])
    table = Table(title=title)
    for column in ("category", "indicator", "breakdown", "value", "unit / why null"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows.itertuples(index=False):
        entry = catalog[row.indicator_id]
        breakdown = f"{row.dimension}={row.dimension_value}" if row.dimension else ""
        if pd.isna(row.value):
            value, note = "NULL", str(row.null_reason)
        else:
            value, note = f"{row.value:,.4g}" if abs(row.value) < 1e4 else f"{row.value:,.0f}", entry.unit
        table.add_row(entry.category, entry.name, breakdown, value, note)
    console.print(table)
    console.print(f"{len(rows)} value(s)")
