"""Raw zone -> ODS on a real Spark with Hive support (embedded Derby)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecomlab.sources.base import RawEntity
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.catalog import SchemaMismatchError
from ecomlab.warehouse.ods import NoBatchError, load_ods

pytestmark = pytest.mark.spark

THINGS = RawEntity("odstest", "things", ("thing_id", "name", "amount"), header=True)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def day_rows(spark, table: str, dt: str) -> list:
    return spark.sql(f"SELECT * FROM {table} WHERE dt = '{dt}' ORDER BY _batch_id, _line_no").collect()


def test_line_numbers_are_exact_when_a_file_is_read_in_many_blocks(spark, lake, tmp_path):
    entity = RawEntity("odstest", "numbered", ("line", "payload"), header=True)
    body = "".join(f"{n},{'x' * (n % 37)}\n" for n in range(2, 60_002))
    path = write(tmp_path / "numbered.csv", "line,payload\n" + body)
    RawZone(lake).land(path, entity, "2026-01-01")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "65536")
    try:
        assert spark.read.text(str(path)).rdd.getNumPartitions() > 10
        [load] = load_ods(spark, lake, entity, ["2026-01-01"])
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert (load.rows_in, load.rows_out, load.malformed) == (60_000, 60_000, 0)
    wrong = spark.sql(
        "SELECT count(*) FROM ods.odstest_numbered WHERE dt = '2026-01-01' AND CAST(line AS BIGINT) != _line_no"
    ).first()[0]
    assert wrong == 0


def test_malformed_lines_are_kept_with_their_original_text(spark, lake, tmp_path):
    text = 'thing_id,name,amount\n1,"comma, inside",2.5\n2,short\n3,a,b,c\n4,"open quote,1\n5,,\n\n6,ok,1\n'
    RawZone(lake).land(write(tmp_path / "bad.csv", text), THINGS, "2026-01-02")
    [load] = load_ods(spark, lake, THINGS, "2026-01-02")
    rows = {r["_line_no"]: r for r in day_rows(spark, THINGS.qualified_ods_table, "2026-01-02")}
    assert load.rows_in == load.rows_out == 7
    assert rows[2]["name"] == "comma, inside" and rows[2]["_raw_line"] is None
    assert {n for n, r in rows.items() if r["_raw_line"] is not None} == {3, 4, 5, 7}
    assert rows[3]["_raw_line"] == "2,short"
    assert rows[6]["name"] is None and rows[6]["amount"] is None and rows[6]["_raw_line"] is None
    assert load.malformed == 4


def test_reloading_a_day_overwrites_that_day_only(spark, lake, tmp_path):
    zone = RawZone(lake)
    zone.land(write(tmp_path / "d1" / "t.csv", "thing_id,name,amount\n1,a,1\n2,b,2\n"), THINGS, "2026-02-01")
    zone.land(write(tmp_path / "d2" / "t.csv", "thing_id,name,amount\n3,c,3\n"), THINGS, "2026-02-02")
    load_ods(spark, lake, THINGS, ["2026-02-01", "2026-02-02"])
    load_ods(spark, lake, THINGS, ["2026-02-02"])  # a re-run: nothing doubles
    counts = lambda: dict(  # noqa: E731
        spark.sql(
            f"SELECT dt, count(*) FROM {THINGS.qualified_ods_table} WHERE dt LIKE '2026-02-%' GROUP BY dt"
        ).collect()
    )
    assert counts() == {"2026-02-01": 2, "2026-02-02": 1}

    # A second batch arrives for day 2: reloading day 2 picks up both batches, day 1 is untouched.
    zone.land(write(tmp_path / "d2b" / "t2.csv", "thing_id,name,amount\n4,d,4\n5,e,5\n"), THINGS, "2026-02-02")
    [load] = load_ods(spark, lake, THINGS, "2026-02-02")
    assert (load.batches, load.rows_out) == (2, 3)
    assert counts() == {"2026-02-01": 2, "2026-02-02": 3}


def test_a_day_whose_batch_is_empty_ends_with_no_rows(spark, lake, tmp_path):
    entity = RawEntity("odstest", "emptied", ("a", "b"), header=True)
    zone = RawZone(lake)
    zone.land(write(tmp_path / "full.csv", "a,b\n1,2\n"), entity, "2026-03-01", batch_id="first")
    load_ods(spark, lake, entity, "2026-03-01")
    lake.delete("raw/odstest/emptied/dt=2026-03-01/batch=first")
    zone.land(write(tmp_path / "empty.csv", "a,b\n"), entity, "2026-03-01", batch_id="second")
    [load] = load_ods(spark, lake, entity, "2026-03-01")
    assert (load.rows_in, load.rows_out) == (0, 0)


def test_whitespace_and_line_formats(spark, lake, tmp_path):
    fixed = RawEntity("odstest", "fixed", ("id", "day", "n"), format="whitespace")
    RawZone(lake).land(write(tmp_path / "f.txt", " 001 19970101  2\n002   19970102 1\n003 x\n"), fixed, "2026-04-01")
    [load] = load_ods(spark, lake, fixed, "2026-04-01")
    rows = day_rows(spark, fixed.qualified_ods_table, "2026-04-01")
    assert [(r["id"], r["day"], r["n"]) for r in rows[:2]] == [("001", "19970101", "2"), ("002", "19970102", "1")]
    assert load.malformed == 1 and rows[2]["_raw_line"] == "003 x"

    lines = RawEntity("odstest", "baskets", ("items",), format="lines")
    RawZone(lake).land(write(tmp_path / "b.txt", "milk,bread\n\nbeer, diapers \n"), lines, "2026-04-01")
    [load] = load_ods(spark, lake, lines, "2026-04-01")
    rows = day_rows(spark, lines.qualified_ods_table, "2026-04-01")
    assert [r["items"] for r in rows] == ["milk,bread", None, "beer, diapers"]
    assert load.malformed == 1


def test_nothing_landed_is_a_clear_error(spark, lake):
    with pytest.raises(NoBatchError, match="odstest/things on 2031-01-01"):
        load_ods(spark, lake, THINGS, "2031-01-01")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        load_ods(spark, lake, THINGS, "01/02/2026")


def test_a_table_defined_differently_in_code_is_refused(spark, lake, tmp_path):
    RawZone(lake).land(write(tmp_path / "x.csv", "thing_id,name,amount\n1,a,1\n"), THINGS, "2026-05-01")
    load_ods(spark, lake, THINGS, "2026-05-01")
    changed = RawEntity("odstest", "things", ("thing_id", "label"), header=True)
    RawZone(lake).land(write(tmp_path / "y.csv", "thing_id,label\n1,a\n"), changed, "2026-05-02")
    with pytest.raises(SchemaMismatchError, match=r"ods\.odstest_things"):
        load_ods(spark, lake, changed, "2026-05-02")


def test_ods_tables_are_partitioned_parquet_hive_tables(spark, lake, tmp_path):
    RawZone(lake).land(write(tmp_path / "z.csv", "thing_id,name,amount\n1,a,1\n"), THINGS, "2026-06-01")
    load_ods(spark, lake, THINGS, "2026-06-01")
    detail = {
        r["col_name"]: r["data_type"] for r in spark.sql(f"DESCRIBE FORMATTED {THINGS.qualified_ods_table}").collect()
    }
    assert "parquet" in detail["InputFormat"].lower()
    assert detail["Provider"] == "hive"
    partitions = [r[0] for r in spark.sql(f"SHOW PARTITIONS {THINGS.qualified_ods_table}").collect()]
    assert "dt=2026-06-01" in partitions
    assert {db.name for db in spark.catalog.listDatabases()} >= {"ods", "dwd", "dws", "ads"}
