"""The results mart: indicator and mining tables that dashboards and analysts read.

SQLite in the embedded profile, PostgreSQL in the local and cluster profiles, both through
SQLAlchemy. Writers replace a whole partition (for example one data set's day) in one
transaction, so a repeated or failed export never leaves duplicated or partial rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, create_engine, inspect, text

if TYPE_CHECKING:
    from ecomlab.settings import Settings

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MartError(ValueError):
    """A write the mart refuses, with what is wrong and where."""


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.match(name):
        raise MartError(f"{what} {name!r} is not a plain lower-case SQL name ([a-z_][a-z0-9_]*)")
    return name


class Mart:
    def __init__(self, url: str, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_engine(url, future=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> Mart:
        if settings.mart_url.startswith("sqlite:///"):
            from pathlib import Path

            Path(settings.mart_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return cls(settings.mart_url)

    def has_table(self, table: str) -> bool:
        return inspect(self.engine).has_table(_identifier(table, "table"))

    def replace(self, table: str, frame: pd.DataFrame, partition: Mapping[str, Any]) -> int:
        """Replace the rows of `table` that match `partition` with `frame`, in one transaction.

        Every row of `frame` must belong to the partition (else the next replace of another
        partition could not remove it): a row outside it is refused, naming the column.
        Creates the table on first use. Returns the number of rows written.
        """
        return self.replace_many(table, [(frame, partition)])

    def replace_many(self, table: str, parts: list[tuple[pd.DataFrame, Mapping[str, Any]]]) -> int:
        """Replace several partitions of `table` in one transaction: all of them or none."""
        _identifier(table, "table")
        for frame, partition in parts:
            self._check_partition(table, frame, partition)
        with self.engine.begin() as connection:
            for frame, partition in parts:
                if inspect(connection).has_table(table):
                    where = " AND ".join(f"{column} = :{column}" for column in partition)
                    connection.execute(text(f"DELETE FROM {table} WHERE {where}"), dict(partition))
                frame.to_sql(table, connection, if_exists="append", index=False, chunksize=5000, method="multi")
        return sum(len(frame) for frame, _ in parts)

    @staticmethod
    def _check_partition(table: str, frame: pd.DataFrame, partition: Mapping[str, Any]) -> None:
        if not partition:
            raise MartError(f"replace into {table!r} needs a partition (columns and values to replace)")
        for column, value in partition.items():
            _identifier(column, "partition column")
            if column not in frame.columns:
                raise MartError(f"rows for {table!r} lack the partition column {column!r}")
            outside = frame[frame[column] != value]
            if len(outside):
                raise MartError(
                    f"{len(outside)} row(s) for {table!r} have {column}={outside[column].iloc[0]!r}, "
                    f"outside the partition being replaced ({column}={value!r})"
                )
        for column in frame.columns:
            _identifier(str(column), "column")

    def read(self, sql: str, **params: Any) -> pd.DataFrame:
        with self.engine.connect() as connection:
            return pd.read_sql_query(text(sql), connection, params=params)

    def dispose(self) -> None:
        self.engine.dispose()
