"""Importers of the real public data sets: checking, landing and loading to ODS.

Expected values are computed here from the files with plain Python, independently of the
importers; Spark tests use a dt of their own because all of them share one metastore.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ecomlab.sources.importers import (
    BASKET_TRANSACTIONS,
    CDNOW_PURCHASES,
    CDNOW_SAMPLE_PURCHASES,
    TAOBAO_USER_BEHAVIOR,
    InputFormatError,
    UnsupportedLocationError,
    import_and_load,
    import_file,
    validate_file,
)
from ecomlab.storage.lake import LocalLake
from ecomlab.storage.raw_zone import RawZone

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def own_lake(tmp_path) -> LocalLake:
    """A lake of the test's own, for tests that land files without Spark."""
    root = tmp_path / "lake"
    root.mkdir()
    return LocalLake(root.as_uri())


@pytest.fixture(scope="module")
def taobao_file(datasets) -> Path:
    return datasets / "taobao-userbehavior-sample" / "UserBehavior.csv"


@pytest.fixture(scope="module")
def cdnow_master(datasets) -> Path:
    return datasets / "cdnow" / "CDNOW_master.txt"


@pytest.fixture(scope="module")
def cdnow_sample(datasets) -> Path:
    return datasets / "cdnow" / "CDNOW_sample.txt"


def taobao_facts(path: Path) -> dict:
    rows = [line.split(",") for line in path.read_text().splitlines()]
    days = [datetime.fromtimestamp(int(r[4]), CHINA).date() for r in rows]
    return {
        "rows": len(rows),
        "users": len({r[0] for r in rows}),
        "first_day": min(days).isoformat(),
        "last_day": max(days).isoformat(),
        "outside_period": sum(not ("2017-11-25" <= d.isoformat() <= "2017-12-03") for d in days),
    }


def cdnow_facts(path: Path) -> dict:
    lines = path.read_text().splitlines()
    has_header = not lines[0].split()[0].isdigit()
    rows = [line.split() for line in lines[1 if has_header else 0 :]]
    days = sorted(r[-3] for r in rows)
    return {
        "header": has_header,
        "rows": len(rows),
        "customers": len({int(r[0]) for r in rows}),
        "first_day": f"{days[0][:4]}-{days[0][4:6]}-{days[0][6:]}",
        "last_day": f"{days[-1][:4]}-{days[-1][4:6]}-{days[-1][6:]}",
    }


def taobao_lines(count: int) -> list[str]:
    """Well-formed Taobao lines with timestamps on 2017-11-25..26 (China time)."""
    start = int(datetime(2017, 11, 25, tzinfo=CHINA).timestamp())
    behaviors = ("pv", "cart", "fav", "buy")
    return [f"{n % 97},{1000 + n},{n % 13},{behaviors[n % 4]},{start + n * 17}" for n in range(count)]


def ods_count(spark, table: str, dt: str, where: str = "true") -> int:
    return spark.sql(f"SELECT count(*) AS n FROM {table} WHERE dt = '{dt}' AND {where}").first()["n"]


# --- checking and landing, without Spark ---------------------------------------------------


def test_taobao_sample_is_checked_and_landed(taobao_file, own_lake):
    facts = taobao_facts(taobao_file)

    result = import_file("taobao", str(taobao_file), own_lake)

    stats = result.validation
    assert stats.rows == facts["rows"] == 4321
    assert stats.malformed == 0 and stats.first_malformed == []
    assert stats.users == facts["users"]
    assert (stats.first_day, stats.last_day) == (facts["first_day"], facts["last_day"])
    assert stats.outside_period == facts["outside_period"]
    assert stats.header is False
    assert result.entity == TAOBAO_USER_BEHAVIOR
    assert result.dt == facts["last_day"]
    assert result.stored
    manifest = result.manifest
    # The documented period, not the observed days: an event outside it is cleaning's to flag.
    assert (manifest.window_start, manifest.window_end) == ("2017-11-25", "2017-12-03")
    assert facts["first_day"] < "2017-11-25"
    assert manifest.rows == facts["rows"]
    assert manifest.extra["users"] == facts["users"]
    assert RawZone(own_lake).batches(TAOBAO_USER_BEHAVIOR, result.dt) == [manifest]
    assert own_lake.read_bytes(manifest.file_path) == taobao_file.read_bytes()


def test_cdnow_master_and_sample_are_told_apart(cdnow_master, cdnow_sample, own_lake):
    master_facts, sample_facts = cdnow_facts(cdnow_master), cdnow_facts(cdnow_sample)

    master = import_file("cdnow", cdnow_master, own_lake)
    sample = import_file("cdnow", cdnow_sample.as_uri(), own_lake)

    assert master.entity.name == CDNOW_PURCHASES.name and master.entity.header is True
    assert sample.entity == CDNOW_SAMPLE_PURCHASES and sample.entity.header is False
    for result, facts, rows, customers in ((master, master_facts, 69659, 23570), (sample, sample_facts, 6919, 2357)):
        stats = result.validation
        assert stats.rows == facts["rows"] == rows
        assert stats.users == facts["customers"] == customers
        assert stats.header is facts["header"]
        assert (stats.first_day, stats.last_day) == (facts["first_day"], facts["last_day"])
        assert (stats.first_day, stats.last_day) == ("1997-01-01", "1998-06-30")
        assert stats.malformed == 0
        assert result.manifest.rows == rows
        assert result.manifest.header is facts["header"]
        assert result.dt == facts["last_day"]


def test_taobao_file_with_a_header_line_lands_without_counting_it(tmp_path, own_lake):
    path = tmp_path / "with_header.csv"
    path.write_text("\n".join(["user_id,item_id,category_id,behavior_type,timestamp", *taobao_lines(20)]) + "\n")

    result = import_file("taobao", path, own_lake)

    assert result.validation.header is True
    assert result.validation.rows == 20
    assert result.entity.header is True
    assert result.manifest.header is True and result.manifest.rows == 20


def test_progress_reports_every_byte(taobao_file):
    seen: list[int] = []

    validate_file("taobao", taobao_file, progress=seen.append)

    assert seen and sum(seen) == taobao_file.stat().st_size


def test_first_line_with_three_fields_is_rejected(tmp_path, own_lake):
    path = tmp_path / "three_fields.csv"
    path.write_text("\n".join(["1,2,3", *taobao_lines(10)]) + "\n")

    with pytest.raises(InputFormatError) as caught:
        import_file("taobao", path, own_lake)

    message = str(caught.value)
    assert "three_fields.csv line 1:" in message
    assert "expected 5 comma-separated fields user_id,item_id,category_id,behavior_type,timestamp, got 3" in message
    assert own_lake.list("raw/taobao/user_behavior") == []


def test_cdnow_file_passed_as_taobao_is_rejected(cdnow_sample, own_lake):
    with pytest.raises(InputFormatError, match=r"CDNOW_sample\.txt line 1: expected 5 comma-separated fields"):
        import_file("taobao", cdnow_sample, own_lake)


def test_taobao_file_passed_as_cdnow_is_rejected(taobao_file, own_lake):
    with pytest.raises(InputFormatError, match=r"UserBehavior\.csv line 1: expected 4 whitespace-separated"):
        import_file("cdnow", taobao_file, own_lake)


def test_bad_field_type_on_first_line_is_rejected(tmp_path):
    path = tmp_path / "bad_behavior.csv"
    path.write_text("\n".join(["1,2,3,click,1511544070", *taobao_lines(10)]) + "\n")

    with pytest.raises(InputFormatError, match=r"bad_behavior\.csv line 1: behavior_type 'click' is not one of"):
        validate_file("taobao", path)


def test_cdnow_bad_date_is_counted_with_its_line(tmp_path):
    good = [f" {n:05d} 19970{n % 9 + 1}0{n % 9 + 1}  1   11.77" for n in range(1, 300)]
    path = tmp_path / "cdnow_bad_date.txt"
    path.write_text("\n".join([*good[:100], " 00001 19971345  1   11.77", *good[100:]]) + "\n")

    stats = validate_file("cdnow", path)

    assert stats.rows == 300 and stats.malformed == 1
    assert stats.first_malformed[0].line_no == 101
    assert "date '19971345'" in stats.first_malformed[0].reason


def test_too_many_malformed_lines_reject_the_file_unless_allowed(tmp_path):
    lines = taobao_lines(100)
    for n in (10, 20, 30):
        lines[n] = "not,a,taobao,line"
    path = tmp_path / "three_percent_bad.csv"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(InputFormatError) as caught:
        validate_file("taobao", path)
    assert "3 of 100 lines are malformed" in str(caught.value)
    assert "line 11:" in str(caught.value)

    stats = validate_file("taobao", path, max_malformed_fraction=0.05)
    assert stats.malformed == 3
    assert [m.line_no for m in stats.first_malformed] == [11, 21, 31]


def test_mostly_undecodable_file_is_rejected_naming_the_line(tmp_path):
    good = taobao_lines(50)
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"\n".join([good[0].encode(), *(line.encode() + b",caf\xe9" for line in good[1:])]) + b"\n",
    )

    with pytest.raises(InputFormatError) as caught:
        validate_file("taobao", path)

    message = str(caught.value)
    assert "latin1.csv" in message
    assert "49 of 50 lines are malformed" in message
    assert "line 2: not valid UTF-8 (byte 0xe9" in message


def test_undecodable_first_line_is_rejected(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 100)

    with pytest.raises(InputFormatError, match=r"binary\.csv line 1: not valid UTF-8"):
        validate_file("taobao", path)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(InputFormatError, match=r"empty\.csv is empty"):
        validate_file("taobao", path)


def test_header_only_file_is_rejected(tmp_path):
    path = tmp_path / "header_only.txt"
    path.write_text(" customer_id  date number_of_cds  dollar_value\r\n")

    with pytest.raises(InputFormatError, match=r"header_only\.txt has only a header line"):
        validate_file("cdnow", path)


def test_missing_file_is_named(tmp_path, own_lake):
    missing = tmp_path / "nowhere" / "UserBehavior.csv"

    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        import_file("taobao", str(missing), own_lake)
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        import_file("taobao", missing.as_uri(), own_lake)


@pytest.mark.parametrize("uri", ["s3://b/k.csv", "ftp://example.org/UserBehavior.csv"])
def test_unsupported_uri_scheme_is_refused(uri, own_lake):
    with pytest.raises(UnsupportedLocationError) as caught:
        import_file("taobao", uri, own_lake)

    assert uri in str(caught.value)
    assert "not supported" in str(caught.value)


def test_remote_file_uri_is_refused(own_lake):
    with pytest.raises(UnsupportedLocationError, match="host 'otherhost'"):
        import_file("taobao", "file://otherhost/data/UserBehavior.csv", own_lake)


def test_unknown_kind_and_bad_dt_are_refused(taobao_file, own_lake):
    with pytest.raises(ValueError, match="unknown import kind 'parquet'"):
        import_file("parquet", taobao_file, own_lake)
    with pytest.raises(ValueError, match="dt must be a day written YYYY-MM-DD"):
        import_file("taobao", taobao_file, own_lake, dt="20171203")
    assert own_lake.list("raw") == []


def test_over_long_line_is_malformed_not_kept_in_memory(tmp_path, monkeypatch):
    import ecomlab.sources.importers as importers

    monkeypatch.setattr(importers, "MAX_LINE_BYTES", 64)
    monkeypatch.setattr(importers, "_CHUNK", 16)
    lines = taobao_lines(200)
    lines[150] = "1," * 100 + "1"
    path = tmp_path / "long_line.csv"
    path.write_text("\n".join(lines))

    stats = validate_file("taobao", path)

    assert stats.rows == 200 and stats.lines == 200
    assert stats.malformed == 1
    assert stats.first_malformed[0].line_no == 151
    assert "longer than 64 bytes" in stats.first_malformed[0].reason


def test_baskets_default_to_today_and_count_items(tmp_path, own_lake):
    path = tmp_path / "baskets.csv"
    path.write_text("milk,bread\nbeer\n")

    result = import_file("baskets", path, own_lake)

    assert result.dt == datetime.now(UTC).date().isoformat()
    assert result.validation.items == 3
    assert result.validation.users is None
    assert result.manifest.window_start is None


# --- landing and loading to ODS with Spark -------------------------------------------------


@pytest.mark.spark
def test_taobao_sample_loads_to_ods(spark, lake, taobao_file):
    facts = taobao_facts(taobao_file)

    result, load = import_and_load(spark, lake, "taobao", str(taobao_file))

    assert result.dt == facts["last_day"]
    assert result.validation.rows == facts["rows"]
    table = TAOBAO_USER_BEHAVIOR.qualified_ods_table
    assert load.table == table
    batch = f"_batch_id = '{result.manifest.batch_id}'"
    assert ods_count(spark, table, result.dt, batch) == facts["rows"]
    assert ods_count(spark, table, result.dt, f"{batch} AND _raw_line IS NOT NULL") == 0
    users = spark.sql(f"SELECT count(DISTINCT user_id) AS n FROM {table} WHERE dt = '{result.dt}' AND {batch}").first()[
        "n"
    ]
    assert users == facts["users"] == result.validation.users


@pytest.mark.spark
@pytest.mark.parametrize("name", ["CDNOW_master.txt", "CDNOW_sample.txt"])
def test_cdnow_files_load_to_ods(spark, lake, datasets, name):
    path = datasets / "cdnow" / name
    facts = cdnow_facts(path)

    result, load = import_and_load(spark, lake, "cdnow", path)

    assert result.validation.header is facts["header"]
    batch = f"_batch_id = '{result.manifest.batch_id}'"
    table = result.entity.qualified_ods_table
    assert load.table == table
    assert ods_count(spark, table, result.dt, batch) == facts["rows"]
    assert ods_count(spark, table, result.dt, f"{batch} AND _raw_line IS NOT NULL") == 0
    first = spark.sql(f"SELECT * FROM {table} WHERE dt = '{result.dt}' AND {batch} AND _line_no = 1").collect()
    assert len(first) == (0 if facts["header"] else 1)
    customers = spark.sql(
        f"SELECT count(DISTINCT {result.entity.columns[0]}) AS n FROM {table} WHERE dt = '{result.dt}' AND {batch}"
    ).first()["n"]
    assert customers == facts["customers"]


@pytest.mark.spark
def test_basket_file_keeps_its_empty_line_in_ods(spark, lake, tmp_path):
    goods = ["whole milk", "rolls/buns", "citrus fruit", "margarine", "ready soups", "beer", "yogurt", "coffee"]
    lines = [",".join(goods[n % 8 : n % 8 + 1 + n % 3]) for n in range(150)]
    lines[41] = ""
    path = tmp_path / "groceries.csv"
    path.write_text("\n".join(lines) + "\n")

    result, load = import_and_load(spark, lake, "baskets", path.as_uri(), dt="2030-01-05")

    stats = result.validation
    assert result.entity == BASKET_TRANSACTIONS
    assert stats.rows == len(lines)
    assert stats.malformed == 1 and stats.first_malformed[0].line_no == lines.index("") + 1
    assert stats.items == len({item for line in lines for item in line.split(",") if item})
    assert load.rows_out == len(lines) and load.malformed == 1
    rows = spark.sql(
        f"SELECT _line_no, items, _raw_line FROM {BASKET_TRANSACTIONS.qualified_ods_table} "
        "WHERE dt = '2030-01-05' ORDER BY _line_no"
    ).collect()
    assert [(r["_line_no"], r["items"]) for r in rows] == [(n, line or None) for n, line in enumerate(lines, 1)]
    assert [r["_line_no"] for r in rows if r["_raw_line"] is not None] == [lines.index("") + 1]


@pytest.mark.spark
def test_one_malformed_line_in_ten_thousand_is_kept_for_quarantine(spark, lake, tmp_path):
    lines = taobao_lines(10_000)
    lines.insert(56, "42,not enough")
    path = tmp_path / "one_bad_line.csv"
    path.write_text("\n".join(lines) + "\n")

    result, load = import_and_load(spark, lake, "taobao", path, dt="2030-01-06")

    stats = result.validation
    assert stats.rows == 10_001 and stats.malformed == 1
    assert [(m.line_no, m.reason.split(",")[0]) for m in stats.first_malformed] == [
        (57, "expected 5 comma-separated fields user_id")
    ]
    assert result.manifest.extra["first_malformed"][0]["line"] == 57
    assert load.rows_out == 10_001 and load.malformed == 1
    bad = spark.sql(
        f"SELECT _line_no, _raw_line FROM {TAOBAO_USER_BEHAVIOR.qualified_ods_table} "
        "WHERE dt = '2030-01-06' AND _raw_line IS NOT NULL"
    ).collect()
    assert [(r["_line_no"], r["_raw_line"]) for r in bad] == [(57, "42,not enough")]


@pytest.mark.spark
def test_importing_the_same_file_twice_stores_one_batch(spark, lake, taobao_file):
    rows = len(taobao_file.read_text().splitlines())

    first, _ = import_and_load(spark, lake, "taobao", taobao_file, dt="2030-01-07")
    second, load = import_and_load(spark, lake, "taobao", taobao_file.as_uri(), dt="2030-01-07")

    assert first.stored is True and second.stored is False
    assert second.manifest.batch_id == first.manifest.batch_id
    assert len(RawZone(lake).batches(TAOBAO_USER_BEHAVIOR, "2030-01-07")) == 1
    assert load.batches == 1
    assert ods_count(spark, TAOBAO_USER_BEHAVIOR.qualified_ods_table, "2030-01-07") == rows


@pytest.fixture
def http_server(datasets):
    """A plain HTTP file server on loopback, serving the shared data sets directory."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(datasets)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_import_over_http_lands_the_bytes_as_served(http_server, taobao_file, own_lake):
    url = f"{http_server}/taobao-userbehavior-sample/UserBehavior.csv"
    result = import_file("taobao", url, own_lake)
    assert result.validation.file == url
    assert result.validation.rows == 4321
    assert result.manifest.file == "UserBehavior.csv"
    assert result.manifest.sha256 == hashlib.sha256(taobao_file.read_bytes()).hexdigest()
    assert own_lake.read_bytes(result.manifest.file_path) == taobao_file.read_bytes()


def test_a_missing_http_file_names_the_url_and_status(http_server, own_lake):
    from ecomlab.sources.fetch import FetchError

    url = f"{http_server}/nothing-here.csv"
    with pytest.raises(FetchError, match=r"nothing-here\.csv: HTTP 404"):
        import_file("taobao", url, own_lake)
    assert own_lake.list("raw") == []


def test_an_hdfs_uri_needs_a_lake_on_that_cluster(own_lake):
    from ecomlab.sources.fetch import FetchError

    with pytest.raises(FetchError, match=r"hdfs://namenode:8020/data/UserBehavior\.csv"):
        import_file("taobao", "hdfs://namenode:8020/data/UserBehavior.csv", own_lake)


@pytest.mark.parametrize(
    ("imported", "read"),
    [
        ({"cdnow_purchases", "cdnow_sample_purchases"}, "cdnow_purchases"),
        ({"cdnow_sample_purchases"}, "cdnow_sample_purchases"),
        ({"cdnow_purchases"}, "cdnow_purchases"),
        (set(), None),
    ],
)
def test_every_analysis_reads_the_cdnow_master_before_the_sample(imported, read):
    from ecomlab.sources.importers import cdnow_purchase_table

    assert cdnow_purchase_table(imported.__contains__) == read
