"""The ADS table ads.indicator_daily (Hive, partitioned by dt and dataset) and the mart export.

Writing a day replaces that day's partition of the data set (insert overwrite), and the
mart's rows of the same data set and day (one transaction): a re-run never duplicates.
"""

from __future__ import annotations

import pandas as pd

from ecomlab.indicators.build import COLUMNS

ADS_TABLE = "ads.indicator_daily"
MART_TABLE = "indicator_daily"
_DATA_COLUMNS = "indicator_id STRING, dimension STRING, dimension_value STRING, value DOUBLE, null_reason STRING"


def ensure_ads_table(spark) -> None:
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {ADS_TABLE} ({_DATA_COLUMNS}) "
        "PARTITIONED BY (dt STRING, dataset STRING) STORED AS PARQUET"
    )


def write_ads(spark, rows: pd.DataFrame) -> int:
    """Insert-overwrite the (dt, dataset) partitions that `rows` cover."""
    ensure_ads_table(spark)
    if rows.empty:
        return 0
    ordered = rows[["indicator_id", "dimension", "dimension_value", "value", "null_reason", "dt", "dataset"]]
    schema = f"{_DATA_COLUMNS}, dt STRING, dataset STRING"
    records = [
        tuple(None if (isinstance(v, float) and v != v) else v for v in row) for row in ordered.itertuples(index=False)
    ]
    spark.createDataFrame(records, schema=schema).write.insertInto(ADS_TABLE, overwrite=True)
    return len(rows)


def read_ads(spark, dataset: str, day: str, category_ids: list[str] | None = None) -> pd.DataFrame:
    ensure_ads_table(spark)
    frame = spark.sql(
        f"SELECT dataset, dt, indicator_id, dimension, dimension_value, value, null_reason FROM {ADS_TABLE} "
        f"WHERE dt = '{day}' AND dataset = '{dataset}'"
    ).toPandas()
    if category_ids is not None:
        frame = frame[frame.indicator_id.isin(category_ids)]
    return frame[COLUMNS].sort_values(["indicator_id", "dimension", "dimension_value"], ignore_index=True)


def export_to_mart(mart, rows: pd.DataFrame) -> int:
    """Replace each (dataset, dt) of `rows` in the mart's indicator_daily, one transaction per day."""
    written = 0
    for (dataset, day), part in rows.groupby(["dataset", "dt"], sort=True):
        frame = part[COLUMNS].astype({"value": "float64"}).reset_index(drop=True)
        written += mart.replace(MART_TABLE, frame, partition={"dataset": dataset, "dt": day})
    return written
