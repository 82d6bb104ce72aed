"""The raw zone: atomic, idempotent landing of received files, on a LocalLake and an HdfsLake.

HDFS cannot run here; this stand-in speaks the WebHDFS REST protocol over a temp directory
so that the real `hdfs` client code path is exercised (see webhdfs_standin.py). Expected
checksums, sizes and row counts are computed in the tests with hashlib and bytes methods.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hdfs.util import HdfsError

from ecomlab.sources.base import RawEntity
from ecomlab.storage.raw_zone import MANIFEST, BatchConflictError, RawZone

ORDERS = RawEntity("shop", "orders", ("order_id", "user", "amount"), header=True)
BASKETS = RawEntity("shop", "baskets", ("items",), format="lines")
DAY = "2024-03-01"

ORDERS_CSV = "order_id,user,amount\n1,ana,9.50\n2,björn,12.00\n3,chen,3.25\n".encode()


@pytest.fixture
def zone(any_lake) -> RawZone:
    return RawZone(any_lake)


def _received(tmp_path, name: str, content: bytes):
    path = tmp_path / "incoming" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _entity_dir(lake_dir, entity):
    return lake_dir / "raw" / entity.source / entity.name


def _batch_dirs(lake_dir, entity, dt):
    day = _entity_dir(lake_dir, entity) / f"dt={dt}"
    return sorted(p.name for p in day.iterdir()) if day.is_dir() else []


def _staging_leftovers(lake_dir, entity):
    staging = _entity_dir(lake_dir, entity) / "_staging"
    return sorted(str(p.relative_to(staging)) for p in staging.rglob("*")) if staging.exists() else []


# Landing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "content", "data_lines"),
    [
        (ORDERS, ORDERS_CSV, 3),
        # No newline at the end: the last line still counts.
        (ORDERS, ORDERS_CSV.rstrip(b"\n"), 3),
        (BASKETS, b"milk bread\neggs\n\nbeer nappies\n", 4),
    ],
    ids=["header", "no-final-newline", "no-header"],
)
def test_landing_stores_the_file_as_received_with_its_manifest(
    zone, any_lake, lake_dir, tmp_path, entity, content, data_lines
):
    received = _received(tmp_path, "part-0001.csv", content)

    result = zone.land(received, entity, DAY, batch_id="b001", window=("2024-03-01T00:00", "2024-03-02T00:00"))

    assert result.stored is True
    batch = _entity_dir(lake_dir, entity) / f"dt={DAY}" / "batch=b001"
    assert sorted(p.name for p in batch.iterdir()) == sorted([MANIFEST, "part-0001.csv"])
    assert (batch / "part-0001.csv").read_bytes() == content
    manifest = json.loads(any_lake.read_bytes(f"raw/{entity.source}/{entity.name}/dt={DAY}/batch=b001/{MANIFEST}"))
    expected_rows = len(content.splitlines()) - (1 if entity.header else 0)
    assert expected_rows == data_lines  # the test data is what it claims to be
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["bytes"] == len(content)
    assert manifest["rows"] == expected_rows
    assert manifest["dt"] == DAY
    assert manifest["batch_id"] == "b001"
    assert manifest["file"] == "part-0001.csv"
    assert (manifest["source"], manifest["entity"], manifest["header"]) == (entity.source, entity.name, entity.header)
    assert (manifest["window_start"], manifest["window_end"]) == ("2024-03-01T00:00", "2024-03-02T00:00")
    assert result.manifest.sha256 == manifest["sha256"]
    assert _staging_leftovers(lake_dir, entity) == []


def test_landing_the_same_file_twice_stores_it_once(zone, lake_dir, tmp_path):
    received = _received(tmp_path, "orders.csv", ORDERS_CSV)

    first = zone.land(received, ORDERS, DAY)
    second = zone.land(received, ORDERS, DAY)

    assert first.stored is True
    assert second.stored is False
    # Without a batch id, the batch is named after the content.
    assert first.manifest.batch_id == hashlib.sha256(ORDERS_CSV).hexdigest()[:16]
    assert second.manifest == first.manifest  # the manifest already landed, not a new one
    assert _batch_dirs(lake_dir, ORDERS, DAY) == [f"batch={first.manifest.batch_id}"]
    assert _staging_leftovers(lake_dir, ORDERS) == []


def test_same_batch_id_with_other_content_is_a_conflict(zone, any_lake, tmp_path):
    zone.land(_received(tmp_path, "orders.csv", ORDERS_CSV), ORDERS, DAY, batch_id="b7")
    changed = _received(tmp_path / "later", "orders.csv", ORDERS_CSV + b"4,dana,1.00\n")

    with pytest.raises(BatchConflictError, match=r"batch b7 of shop/orders for 2024-03-01"):
        zone.land(changed, ORDERS, DAY, batch_id="b7")

    assert any_lake.read_bytes(f"raw/shop/orders/dt={DAY}/batch=b7/orders.csv") == ORDERS_CSV


def test_same_batch_id_on_another_day_is_another_batch(zone, lake_dir, tmp_path):
    received = _received(tmp_path, "orders.csv", ORDERS_CSV)
    assert zone.land(received, ORDERS, "2024-03-01", batch_id="b1").stored
    assert zone.land(received, ORDERS, "2024-03-02", batch_id="b1").stored
    assert _batch_dirs(lake_dir, ORDERS, "2024-03-02") == ["batch=b1"]


def test_landing_a_missing_file_fails_before_touching_the_lake(zone, lake_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        zone.land(tmp_path / "nope.csv", ORDERS, DAY)
    assert not (lake_dir / "raw").exists()


# Failures leave nothing behind ---------------------------------------------------------------


def _fail_upload_midway(lake, monkeypatch):
    write_bytes = lake.write_bytes

    def upload(local_file, path):
        write_bytes(path, local_file.read_bytes()[:10])  # part of the file arrives...
        raise ConnectionResetError("connection reset during upload")  # ...then the link drops

    monkeypatch.setattr(lake, "upload", upload)


def _fail_manifest_write(lake, monkeypatch):
    write_bytes = lake.write_bytes

    def failing(path, data):
        if path.endswith(MANIFEST):
            raise ConnectionResetError("connection reset writing the manifest")
        write_bytes(path, data)

    monkeypatch.setattr(lake, "write_bytes", failing)


@pytest.mark.parametrize("break_lake", [_fail_upload_midway, _fail_manifest_write], ids=["upload", "manifest"])
def test_a_failed_landing_leaves_no_batch_and_a_later_landing_succeeds(
    zone, any_lake, lake_dir, tmp_path, monkeypatch, break_lake
):
    received = _received(tmp_path, "orders.csv", ORDERS_CSV)
    break_lake(any_lake, monkeypatch)

    with pytest.raises(ConnectionResetError):
        zone.land(received, ORDERS, DAY, batch_id="b1")

    assert _batch_dirs(lake_dir, ORDERS, DAY) == []
    assert _staging_leftovers(lake_dir, ORDERS) == []
    assert zone.batches(ORDERS, DAY) == []
    assert zone.manifest(ORDERS, DAY, "b1") is None

    monkeypatch.undo()
    retry = zone.land(received, ORDERS, DAY, batch_id="b1")
    assert retry.stored is True
    assert (lake_dir / "raw/shop/orders" / f"dt={DAY}" / "batch=b1" / "orders.csv").read_bytes() == ORDERS_CSV


def test_a_datanode_failure_midway_leaves_no_batch_on_hdfs(hdfs_lake, webhdfs, tmp_path):
    """The failure comes from the server, through the real client's error handling."""
    zone = RawZone(hdfs_lake)
    received = _received(tmp_path, "orders.csv", ORDERS_CSV * 5000)  # several upload chunks
    webhdfs.fail_data_writes_matching = "orders.csv"
    lake_dir = webhdfs.local_path(hdfs_lake.root)

    with pytest.raises(HdfsError, match="Aborting write"):
        zone.land(received, ORDERS, DAY, batch_id="b1")

    assert _batch_dirs(lake_dir, ORDERS, DAY) == []
    assert _staging_leftovers(lake_dir, ORDERS) == []

    webhdfs.fail_data_writes_matching = None
    assert zone.land(received, ORDERS, DAY, batch_id="b1").stored is True
    assert hdfs_lake.read_bytes(f"raw/shop/orders/dt={DAY}/batch=b1/orders.csv") == received.read_bytes()


def test_losing_the_race_to_another_landing_of_the_batch(zone, lake_dir, tmp_path, monkeypatch):
    """Another landing renamed the batch into place after this one checked: stored once."""
    received = _received(tmp_path, "orders.csv", ORDERS_CSV)
    winner = zone.land(received, ORDERS, DAY, batch_id="b1")
    manifest = zone.manifest
    calls = []

    def not_there_yet(entity, dt, batch_id):
        calls.append(batch_id)
        return None if len(calls) == 1 else manifest(entity, dt, batch_id)

    monkeypatch.setattr(zone, "manifest", not_there_yet)
    loser = zone.land(received, ORDERS, DAY, batch_id="b1")

    assert loser.stored is False
    assert loser.manifest == winner.manifest
    assert _batch_dirs(lake_dir, ORDERS, DAY) == ["batch=b1"]
    assert sorted(p.name for p in (lake_dir / "raw/shop/orders" / f"dt={DAY}" / "batch=b1").iterdir()) == [
        MANIFEST,
        "orders.csv",
    ]
    assert _staging_leftovers(lake_dir, ORDERS) == []


# Listing what was landed ---------------------------------------------------------------------


def test_batches_and_days_list_what_was_landed(zone, any_lake, tmp_path):
    for dt, batch_id, content in [
        ("2024-03-02", "b2", ORDERS_CSV),
        ("2024-03-01", "b1", ORDERS_CSV + b"4,dana,1.00\n"),
        ("2024-03-01", "a9", ORDERS_CSV),
    ]:
        zone.land(_received(tmp_path / batch_id, "orders.csv", content), ORDERS, dt, batch_id=batch_id)
    zone.land(_received(tmp_path / "baskets", "baskets.txt", b"milk\n"), BASKETS, "2024-02-28", batch_id="x")
    # A crashed landing's staging directory is not a day or a batch.
    any_lake.makedirs("raw/shop/orders/_staging/b3-deadbeef")
    any_lake.write_bytes("raw/shop/orders/_staging/b3-deadbeef/orders.csv", b"partial")

    assert zone.days(ORDERS) == ["2024-03-01", "2024-03-02"]
    assert zone.days(BASKETS) == ["2024-02-28"]
    day1 = zone.batches(ORDERS, "2024-03-01")
    assert [m.batch_id for m in day1] == ["a9", "b1"]
    assert [m.sha256 for m in day1] == [
        hashlib.sha256(ORDERS_CSV).hexdigest(),
        hashlib.sha256(ORDERS_CSV + b"4,dana,1.00\n").hexdigest(),
    ]
    assert [m.rows for m in day1] == [3, 4]
    assert [m.batch_id for m in zone.batches(ORDERS, "2024-03-02")] == ["b2"]
    assert zone.batches(ORDERS, "2024-03-03") == []


def test_nothing_landed_lists_nothing(zone):
    assert zone.days(ORDERS) == []
    assert zone.batches(ORDERS, DAY) == []
