"""Hive databases and tables, created by code with idempotent DDL."""

from __future__ import annotations

from ecomlab.sources.base import RawEntity

LAYERS = {
    "ods": "Operational data store: received data as strings, one partition per landed day.",
    "dwd": "Detail layer: cleaned, typed, deduplicated facts and dimensions.",
    "dws": "Summary layer: daily aggregates per subject.",
    "ads": "Application layer: indicators and mining results served to the mart.",
}


class SchemaMismatchError(Exception):
    """An existing table's columns differ from what the code defines."""


def ensure_databases(spark, warehouse_root: str) -> None:
    for name, comment in LAYERS.items():
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {name} COMMENT '{comment}' LOCATION '{warehouse_root}/{name}.db'")


def ods_columns(entity: RawEntity) -> list[tuple[str, str]]:
    data = [(name, "STRING") for name in entity.columns]
    lineage = [("_batch_id", "STRING"), ("_source_file", "STRING"), ("_line_no", "BIGINT"), ("_raw_line", "STRING")]
    return data + lineage


def ensure_ods_table(spark, entity: RawEntity) -> None:
    columns = ods_columns(entity)
    table = entity.qualified_ods_table
    if spark.catalog.tableExists(table):
        existing = [(f.name, f.dataType.simpleString().upper()) for f in spark.table(table).schema.fields]
        expected = [*columns, ("dt", "STRING")]
        if existing != expected:
            raise SchemaMismatchError(
                f"{table} exists with columns {[c for c, _ in existing]}, but the code defines "
                f"{[c for c, _ in expected]}; drop or migrate the table first"
            )
        return
    body = ",\n  ".join(f"`{name}` {kind}" for name, kind in columns)
    comment = (entity.description or entity.ods_table).replace("'", "")
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n) COMMENT '{comment}'\n"
        "PARTITIONED BY (dt STRING) STORED AS PARQUET"
    )
