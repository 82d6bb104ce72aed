"""What the boards read: the mart's tables for one data set, narrowed by the filters.

Only the mart is read (never the warehouse). A table the mart does not hold yet (its stage
has not run) reads as None, and the boards show an empty state for it.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from sqlalchemy import inspect

from ecomlab.dashboards.filters import DIMENSIONS, Filters
from ecomlab.mart import Mart

# Every mart table the dashboards read, and the stage that writes it (for empty states).
TABLES = {
    "indicator_daily": "indicators",
    "mining_rules": "mining",
    "mining_cohort_retention": "mining",
    "mining_paths": "mining",
    "mining_activity": "mining",
    "mining_segments": "mining",
    "mining_customer_rfm": "mining",
    "mining_recommendations": "mining",
    "mining_rec_eval": "mining",
    "mining_clv": "mining",
    "mining_clv_params": "mining",
    "realtime_minute": "streaming",
    "quality_summary": "cleaning",
}


def present_tables(mart: Mart) -> set[str]:
    return set(inspect(mart.engine).get_table_names()) & set(TABLES)


def datasets(mart: Mart) -> list[str]:
    """Every data set any dashboard table holds rows for."""
    found: set[str] = set()
    for table in sorted(present_tables(mart)):
        found.update(mart.read(f"SELECT DISTINCT dataset FROM {table}")["dataset"].dropna().astype(str))
    return sorted(found)


def _day(value) -> str:
    return str(value)[:10]


class BoardData:
    """The rows of one data set that a page shows."""

    def __init__(self, mart: Mart, dataset: str, filters: Filters, tables: set[str] | None = None) -> None:
        self.mart = mart
        self.dataset = dataset
        self.filters = filters
        self.tables = present_tables(mart) if tables is None else tables

    def missing(self, table: str) -> str | None:
        """Why `table` cannot be shown (not in the mart yet), or None."""
        if table in self.tables:
            return None
        return f"The mart has no table {table} yet: the {TABLES[table]} stage has not written it."

    def read(self, table: str, sql: str, **params) -> pd.DataFrame | None:
        """`sql` over `table` for this data set (bound as :dataset), or None if the table is missing."""
        if table not in self.tables:
            return None
        return self.mart.read(sql, dataset=self.dataset, **params)

    @cached_property
    def indicators(self) -> pd.DataFrame | None:
        """indicator_daily rows of the data set within the date range, dt as YYYY-MM-DD text."""
        frame = self.read(
            "indicator_daily",
            "SELECT dt, indicator_id, dimension, dimension_value, value, null_reason "
            "FROM indicator_daily WHERE dataset = :dataset",
        )
        if frame is None:
            return None
        frame["dt"] = frame["dt"].map(_day)
        for column in ("dimension", "dimension_value"):
            frame[column] = frame[column].fillna("").astype(str)
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
        frame = frame.loc[frame["dt"].map(self.filters.in_range).astype(bool)]
        return frame.sort_values(["indicator_id", "dimension", "dimension_value", "dt"]).reset_index(drop=True)

    @cached_property
    def computed(self) -> set[str]:
        """Indicator ids with any row for the data set on any day, whatever the date range.

        An indicator that is not computed for a data set at all (a crawl indicator on the
        shop's pages) is left off its boards instead of being reported as missing in the range.
        """
        frame = self.read(
            "indicator_daily", "SELECT DISTINCT indicator_id FROM indicator_daily WHERE dataset = :dataset"
        )
        return set() if frame is None else set(frame["indicator_id"].astype(str))

    def dimension_values(self) -> dict[str, set[str]]:
        """Values each filterable dimension takes in the data set (to check filters against)."""
        frame = self.read(
            "indicator_daily",
            "SELECT DISTINCT dimension, dimension_value FROM indicator_daily WHERE dataset = :dataset",
        )
        values: dict[str, set[str]] = {name: set() for name in DIMENSIONS}
        if frame is not None:
            for dimension, value in frame.itertuples(index=False):
                if dimension in values:
                    values[dimension].add(str(value))
        return values

    def latest(self, table: str, column: str) -> str | None:
        """The latest value of `column` (a run day or run id) of the data set in `table`."""
        frame = self.read(table, f"SELECT max({column}) AS latest FROM {table} WHERE dataset = :dataset")
        if frame is None or frame.empty or frame["latest"].iloc[0] is None:
            return None
        return frame["latest"].iloc[0]
