"""Where mining results go: a Hive table in `ads` (Parquet, partitioned) and the results mart.

Both writes replace one partition (a data set, and a run day where the table has one), so
a repeated run of the same day leaves one copy of each result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ecomlab.mart import Mart

_HIVE_TYPES = {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN"}


def hive_type(series: pd.Series) -> str:
    return _HIVE_TYPES.get(series.dtype.kind, "STRING")


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    # Infinite values (conviction of a certain rule) are stored as NULL: neither SQL nor JSON has them.
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "f":
            out[column] = out[column].map(lambda v: None if v is None or math.isinf(v) else v).astype(float)
    return out


def write_ads(spark, table: str, frame: pd.DataFrame, partition: Mapping[str, str]) -> None:
    """Replace `partition` of ads.`table` with `frame` (the partition columns are added)."""
    data_columns = [c for c in frame.columns if c not in partition]
    body = ", ".join(f"`{c}` {hive_type(frame[c])}" for c in data_columns)
    parts = ", ".join(f"`{c}` STRING" for c in partition)
    spark.sql(f"CREATE TABLE IF NOT EXISTS ads.{table} ({body}) PARTITIONED BY ({parts}) STORED AS PARQUET")
    spec = ", ".join(f"{c}='{v}'" for c, v in partition.items())
    spark.sql(f"ALTER TABLE ads.{table} DROP IF EXISTS PARTITION ({spec})")
    if frame.empty:
        return
    rows = _clean(frame[data_columns])
    schema = ", ".join(f"`{c}` {hive_type(frame[c])}" for c in data_columns)
    sdf = spark.createDataFrame(rows.astype(object).where(rows.notna(), None), schema=schema)
    from pyspark.sql import functions as F

    for column, value in partition.items():
        sdf = sdf.withColumn(column, F.lit(str(value)))
    sdf.write.insertInto(f"ads.{table}", overwrite=True)


def save(spark, mart: Mart | None, table: str, frame: pd.DataFrame, partition: Mapping[str, str]) -> int:
    """Write a result to ADS (when a Spark session is given) and to the mart (when given)."""
    frame = frame.reset_index(drop=True)
    for column, value in partition.items():
        frame[column] = value
    ordered = [*partition, *[c for c in frame.columns if c not in partition]]
    frame = _clean(frame[ordered])
    if spark is not None:
        write_ads(spark, table, frame, partition)
    if mart is not None:
        mart.replace(table, frame, partition=dict(partition))
    return len(frame)
