"""Where the indicator SQL runs: Spark (the platform) or DuckDB (benchmarks), behind one API.

The DWS and indicator SQL is written once in the subset both dialects share; an engine
resolves DWD table names, materialises summary views and returns small results as pandas.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Statements in flight at once on Spark: most indicator queries read small cached summaries,
# so their time goes to planning and scheduling on the driver, which overlaps with execution.
CONCURRENT_QUERIES = 4
# Settings of the session while a build runs. Adaptive execution re-plans a query after each
# stage: on summaries that are small and cached that costs more than it saves, and it kept
# statements run side by side from overlapping (measured: a fifth of the build's time).
BUILD_CONF = {"spark.sql.adaptive.enabled": "false"}


class SparkEngine:
    name = "spark"

    def __init__(self, spark) -> None:
        self.spark = spark
        self._cached: list = []
        self._restore: dict[str, str | None] = {}
        self._exists: dict[str, bool] = {}

    def begin(self) -> None:
        """Tune the session for a build; `release` puts the previous settings back."""
        self._exists.clear()
        for key, value in BUILD_CONF.items():
            self._restore.setdefault(key, self.spark.conf.get(key, None))
            self.spark.conf.set(key, value)

    def table(self, name: str) -> str:
        return f"dwd.{name}"

    def has_table(self, name: str) -> bool:
        # Asked for every table several times per build, and each answer is a metastore call.
        if name not in self._exists:
            self._exists[name] = self.spark.catalog.tableExists(f"dwd.{name}")
        return self._exists[name]

    def partition_days(self, name: str) -> set[str]:
        """The `dt` values of the table's partitions, from the metastore (no data is read)."""
        rows = self.spark.sql(f"SHOW PARTITIONS dwd.{name}").collect()
        return {dict(part.split("=", 1) for part in row[0].split("/"))["dt"] for row in rows}

    def epoch(self, column: str) -> str:
        return f"unix_timestamp({column})"

    def view(self, name: str, sql: str, cache: bool = True) -> None:
        frame = self.spark.sql(sql)
        if cache:
            # Summaries are read by many indicators: compute each once.
            frame = frame.persist()
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def frame(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def frames(self, statements: list[str]) -> list[pd.DataFrame]:
        """The results of independent statements, in order, several in flight at once."""
        with ThreadPoolExecutor(max_workers=CONCURRENT_QUERIES, thread_name_prefix="indicator-sql") as pool:
            return list(pool.map(self.frame, statements))

    def release(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        for key, value in self._restore.items():
            if value is None:
                self.spark.conf.unset(key)
            else:
                self.spark.conf.set(key, value)
        self._restore.clear()


@dataclass
class DuckDBEngine:
    """DuckDB over the warehouse's Parquet files (hive-partitioned by dt)."""

    dwd_root: str
    connection: object = None
    name: str = "duckdb"
    _tables: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        import duckdb

        self.dwd_root = self.dwd_root.removeprefix("file://").rstrip("/")
        self.connection = self.connection or duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")

    def _path(self, name: str) -> str:
        return f"{self.dwd_root}/{name}"

    def table(self, name: str) -> str:
        options = "hive_partitioning = true, hive_types_autocast = false, union_by_name = true"
        return f"read_parquet('{self._path(name)}/*/*.parquet', {options})"

    def has_table(self, name: str) -> bool:
        return any(Path(self._path(name)).glob("*/*.parquet"))

    def partition_days(self, name: str) -> set[str]:
        """The `dt` values of the table's partition directories that hold data files."""
        return {d.name.removeprefix("dt=") for d in Path(self._path(name)).glob("dt=*") if any(d.glob("*.parquet"))}

    def epoch(self, column: str) -> str:
        return f"epoch({column})"

    def view(self, name: str, sql: str, cache: bool = True) -> None:
        kind = "TABLE" if cache else "VIEW"
        self.connection.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.connection.register(f"{name}_frame", frame)
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")

    def frame(self, sql: str) -> pd.DataFrame:
        return self.connection.execute(sql).df()

    def frames(self, statements: list[str]) -> list[pd.DataFrame]:
        # DuckDB parallelises each statement itself.
        return [self.frame(sql) for sql in statements]

    def begin(self) -> None:
        pass

    def release(self) -> None:
        pass
