"""Raw zone -> ODS: each landed file becomes rows of a Parquet Hive table, as received.

ODS keeps every field as the string that arrived (cleaning decides what is valid), plus
where it came from: batch, file and line number. A line that does not split into the
expected fields is kept too, flagged with its original text in `_raw_line`, so that
cleaning can quarantine it: nothing is dropped here.

Each ODS table is partitioned by `dt`, the day a batch was landed for; loading a day
overwrites that day's partition and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from ecomlab.sources.base import RawEntity
from ecomlab.storage.lake import Lake
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.catalog import ensure_ods_table

LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_line_no", "_raw_line")
_QUOTED = r'"([^"]|"")*"'


class NoBatchError(Exception):
    """There is nothing landed for the table and day asked for."""


@dataclass(frozen=True)
class OdsLoad:
    table: str
    dt: str
    batches: int
    rows_in: int
    rows_out: int
    malformed: int


def numbered_lines(spark, paths: list[str]):
    """Lines of text files with their 1-based line number within their file.

    Spark splits a large file into blocks read in parallel; each block's lines arrive in
    order with consecutive monotonically increasing ids. Counting the lines of every block
    gives each block's offset in its file, and so exact line numbers without a shuffle.
    """
    from pyspark.sql import functions as F

    lines = spark.read.text(paths).select(
        F.col("value"),
        F.col("_metadata.file_path").alias("_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_mid"),
    )
    blocks = lines.groupBy("_file", "_block").agg(F.count("*").alias("n"), F.min("_mid").alias("first_mid")).collect()
    offsets = []
    for file, group in groupby(sorted(blocks, key=lambda r: (r["_file"], r["_block"])), key=lambda r: r["_file"]):
        seen = 0
        for block in group:
            offsets.append((file, block["_block"], block["first_mid"], seen))
            seen += block["n"]
    if not offsets:
        offsets.append(("", -1, 0, 0))  # keeps the join typed when every file is empty
    offset_df = spark.createDataFrame(offsets, "_file string, _block long, first_mid long, line_offset long")
    return lines.join(F.broadcast(offset_df), ["_file", "_block"]).select(
        "value",
        F.col("_file").alias("_source_file"),
        (F.col("_mid") - F.col("first_mid") + F.col("line_offset") + 1).alias("_line_no"),
    )


def parse_lines(lines, entity: RawEntity, keep: tuple[str, ...] = ()):
    """Split numbered raw lines into the entity's string columns plus `_raw_line` for bad lines."""
    from pyspark.sql import functions as F

    n = len(entity.columns)
    value = F.col("value")
    if entity.format == "csv":
        unquoted = F.regexp_replace(value, _QUOTED, "")
        field_count = F.size(F.split(unquoted, ",", -1))
        well_formed = (field_count == n) & ~unquoted.contains('"')
        schema = ", ".join(f"`c{i}` string" for i in range(n))
        parsed = F.from_csv(value, schema, {"mode": "PERMISSIVE"})
        fields = [parsed[f"c{i}"] for i in range(n)]
    elif entity.format == "whitespace":
        tokens = F.split(F.trim(value), r"\s+", -1)
        well_formed = (F.size(tokens) == n) & (F.trim(value) != "")
        fields = [F.get(tokens, i) for i in range(n)]
    elif entity.format == "lines":
        if n != 1:
            raise ValueError(f"{entity.ods_table}: a 'lines' entity has exactly one column")
        well_formed = F.trim(value) != ""
        fields = [F.trim(value)]
    elif entity.format == "jsonl":
        # Every field as the text that arrived (numbers keep their digits); a line that is not a
        # JSON object, or lacks every known field, is kept whole in _raw_line.
        schema = ", ".join(f"`{name}` string" for name in entity.columns)
        parsed = F.from_json(value, schema, {"mode": "PERMISSIVE"})
        fields = [parsed[name] for name in entity.columns]
        is_object = F.trim(value).startswith("{") & F.get_json_object(value, "$").isNotNull()
        well_formed = is_object & F.greatest(*[f.isNotNull().cast("int") for f in fields]).cast("boolean")
    else:
        raise ValueError(f"{entity.ods_table}: unknown raw format {entity.format!r}")

    columns = [F.when(f == "", None).otherwise(f).alias(name) for f, name in zip(fields, entity.columns, strict=True)]
    return lines.select(
        *columns,
        F.col("_source_file"),
        F.col("_line_no"),
        F.when(well_formed, None).otherwise(value).alias("_raw_line"),
        *keep,
    )


def load_ods(spark, lake: Lake, entity: RawEntity, days: list[str] | str) -> list[OdsLoad]:
    """(Re)build the ODS partitions of the given days from every batch landed for them.

    All days are read and written in one Spark job; partitions of other days are untouched.
    """
    from pyspark.sql import functions as F

    days = sorted({_checked_day(d) for d in ([days] if isinstance(days, str) else days)})
    zone = RawZone(lake)
    manifests = {day: zone.batches(entity, day) for day in days}
    missing = [day for day, found in manifests.items() if not found]
    if missing:
        raise NoBatchError(
            f"nothing landed for {entity.source}/{entity.name} on {', '.join(missing)}; land a file first"
        )
    ensure_ods_table(spark, entity)
    table = entity.qualified_ods_table
    batches = [m for day in days for m in manifests[day]]

    # Which batch and day each file belongs to, and whether its first line is a header.
    origin = spark.createDataFrame(
        [(m.dt, m.batch_id, m.header) for m in batches], "dt string, _batch_id string, _has_header boolean"
    )
    lines = numbered_lines(spark, [lake.uri(m.file_path) for m in batches])
    lines = (
        lines.withColumn("dt", F.regexp_extract("_source_file", r"/dt=([^/]+)/batch=", 1))
        .withColumn("_batch_id", F.regexp_extract("_source_file", r"/batch=([^/]+)/", 1))
        .join(F.broadcast(origin), ["dt", "_batch_id"])
        .where(~(F.col("_has_header") & (F.col("_line_no") == 1)))
    )
    rows = parse_lines(lines, entity, keep=("_batch_id", "dt"))

    # A day whose batches hold no rows gets no partition from the insert below: clear it.
    for day in days:
        if sum(m.rows for m in manifests[day]) == 0:
            spark.sql(f"ALTER TABLE {table} DROP IF EXISTS PARTITION (dt='{day}')")
    view = f"_ods_load_{entity.ods_table}"
    ordered = [*entity.columns, *LINEAGE_COLUMNS, "dt"]
    rows.select(*ordered).createOrReplaceTempView(view)
    spark.sql(
        f"INSERT OVERWRITE TABLE {table} PARTITION (dt) SELECT {', '.join(f'`{c}`' for c in ordered)} FROM {view}"
    )
    spark.catalog.dropTempView(view)

    in_list = ", ".join(f"'{d}'" for d in days)
    counts = {
        r["dt"]: r
        for r in spark.sql(
            f"SELECT dt, count(*) AS n, count(_raw_line) AS bad FROM {table} WHERE dt IN ({in_list}) GROUP BY dt"
        ).collect()
    }
    return [
        OdsLoad(
            table=table,
            dt=day,
            batches=len(manifests[day]),
            rows_in=sum(m.rows for m in manifests[day]),
            rows_out=counts[day]["n"] if day in counts else 0,
            malformed=counts[day]["bad"] if day in counts else 0,
        )
        for day in days
    ]


def _checked_day(dt: str) -> str:
    from datetime import date

    try:
        date.fromisoformat(dt)
    except ValueError as exc:
        raise ValueError(f"dt must be a day as YYYY-MM-DD, got {dt!r}") from exc
    return dt


def load_many(
    spark, lake: Lake, plan: dict[RawEntity, list[str]], advance=lambda n: None, workers: int = 3
) -> dict[RawEntity, list[OdsLoad]]:
    """Load several tables at once: their Spark jobs overlap, which hides each job's fixed cost."""
    from concurrent.futures import ThreadPoolExecutor

    def one(entity: RawEntity) -> list[OdsLoad]:
        loads = load_ods(spark, lake, entity, plan[entity])
        advance(1)
        return loads

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ods-load") as pool:
        futures = {entity: pool.submit(one, entity) for entity in plan}
        return {entity: future.result() for entity, future in futures.items()}
