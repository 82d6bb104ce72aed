"""The lake contract, run on a LocalLake and on an HdfsLake.

HDFS cannot run here; this stand-in speaks the WebHDFS REST protocol over a temp directory
so that the real `hdfs` client code path is exercised (see webhdfs_standin.py): every
test taking `any_lake` runs once on each kind of lake.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest
from hdfs import InsecureClient
from hdfs.util import HdfsError
from webhdfs_standin import WebHdfsStandIn, running_standin

from ecomlab.settings import load_settings
from ecomlab.storage.lake import HdfsLake, LakeError, LocalLake, lake_from_settings

ESCAPING_PATHS = ["..", "../outside", "raw/../../outside", "/raw/../../outside"]


def _files_under(directory) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# Reading and writing --------------------------------------------------------------------


def test_write_then_read_round_trips_bytes(any_lake, lake_dir):
    data = "id,name\n1,café\n".encode() + bytes(range(256))
    any_lake.makedirs("raw/shop")
    any_lake.write_bytes("raw/shop/a.bin", data)

    assert any_lake.read_bytes("raw/shop/a.bin") == data
    with any_lake.open_read("raw/shop/a.bin") as handle:
        assert handle.read() == data
    assert (lake_dir / "raw" / "shop" / "a.bin").read_bytes() == data


def test_upload_copies_a_large_file_and_overwrites(any_lake, lake_dir, tmp_path):
    # Larger than the hdfs client's 64 KiB upload chunk: several chunks over the wire.
    big = os.urandom(300_000)
    source = tmp_path / "big.bin"
    source.write_bytes(big)
    any_lake.makedirs("raw")
    any_lake.write_bytes("raw/big.bin", b"old content")

    any_lake.upload(source, "raw/big.bin")

    assert any_lake.read_bytes("raw/big.bin") == big
    assert (lake_dir / "raw" / "big.bin").read_bytes() == big
    assert any_lake.list("raw") == ["big.bin"]  # no temporary file left beside it


def test_exists(any_lake):
    assert not any_lake.exists("raw/x")
    any_lake.makedirs("raw/x")
    assert any_lake.exists("raw/x")
    any_lake.write_bytes("raw/x/f", b"1")
    assert any_lake.exists("raw/x/f")
    assert not any_lake.exists("raw/x/g")


def test_read_of_a_missing_file_names_it(any_lake):
    with pytest.raises(LakeError, match=r"raw/missing\.csv"):
        any_lake.read_bytes("raw/missing.csv")


def test_uri_is_under_the_root(any_lake):
    assert any_lake.uri("raw/shop/") == f"{any_lake.root_uri}/raw/shop"
    assert any_lake.uri("") == any_lake.root_uri


# Listing ------------------------------------------------------------------------------


def test_list_of_a_missing_directory_is_empty(any_lake):
    assert any_lake.list("raw/nothing/here") == []


def test_list_names_the_direct_children_sorted(any_lake):
    any_lake.makedirs("raw/b/deeper")
    any_lake.makedirs("raw/a")
    any_lake.write_bytes("raw/c.txt", b"c")
    any_lake.write_bytes("raw/a/inside.txt", b"x")

    assert any_lake.list("raw") == ["a", "b", "c.txt"]
    assert any_lake.list("raw/b") == ["deeper"]
    assert any_lake.list("raw/a") == ["inside.txt"]


# Paths cannot escape the root ---------------------------------------------------------------


@pytest.mark.parametrize("path", ESCAPING_PATHS)
def test_paths_cannot_escape_the_root(any_lake, lake_dir, path):
    outside = lake_dir.parent / "outside"
    operations = {
        "exists": lambda: any_lake.exists(path),
        "list": lambda: any_lake.list(path),
        "makedirs": lambda: any_lake.makedirs(f"{path}/made"),
        "write_bytes": lambda: any_lake.write_bytes(path, b"x"),
        "read_bytes": lambda: any_lake.read_bytes(path),
        "delete": lambda: any_lake.delete(path),
        "rename_from": lambda: any_lake.rename(path, "raw/moved"),
        "rename_to": lambda: any_lake.rename("raw", path),
    }
    any_lake.makedirs("raw")
    for name, operation in operations.items():
        with pytest.raises(LakeError, match="escapes the lake root"):
            operation()
            pytest.fail(f"{name} accepted {path!r}")
    assert not outside.exists()
    assert any_lake.exists("raw")


def test_local_lake_refuses_a_symlink_out_of_the_root(local_lake, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (local_lake.root / "link").symlink_to(elsewhere)

    with pytest.raises(LakeError, match="escapes the lake root"):
        local_lake.write_bytes("link/f.txt", b"x")
    assert list(elsewhere.iterdir()) == []


def test_dot_dot_staying_inside_a_local_lake_is_allowed(local_lake):
    local_lake.makedirs("raw/a")
    local_lake.write_bytes("raw/a/../b.txt", b"b")
    assert local_lake.read_bytes("raw/b.txt") == b"b"


# Renaming ------------------------------------------------------------------------------


def test_rename_moves_a_directory_creating_the_parent(any_lake, lake_dir):
    any_lake.makedirs("stage/one")
    any_lake.write_bytes("stage/one/data.csv", b"a,b\n")

    assert any_lake.rename("stage/one", "final/day=1/batch=one") is True

    assert not any_lake.exists("stage/one")
    assert any_lake.read_bytes("final/day=1/batch=one/data.csv") == b"a,b\n"
    assert _files_under(lake_dir / "final") == {"day=1/batch=one/data.csv": b"a,b\n"}


def test_rename_onto_an_existing_directory_returns_false_and_changes_nothing(any_lake, lake_dir):
    any_lake.makedirs("stage/new")
    any_lake.write_bytes("stage/new/data.csv", b"new")
    any_lake.makedirs("final/batch=1")
    any_lake.write_bytes("final/batch=1/data.csv", b"old")

    assert any_lake.rename("stage/new", "final/batch=1") is False

    # Neither replaced nor moved inside (HDFS would move a source *into* an existing directory).
    assert _files_under(lake_dir / "final") == {"batch=1/data.csv": b"old"}
    assert any_lake.read_bytes("stage/new/data.csv") == b"new"


# Deleting ------------------------------------------------------------------------------


def test_delete_of_an_absent_path_is_fine(any_lake):
    any_lake.delete("raw/never/was")
    any_lake.delete("raw/never/was")
    assert not any_lake.exists("raw/never/was")


def test_delete_removes_a_file_and_a_directory_tree(any_lake, lake_dir):
    any_lake.makedirs("raw/tree/sub")
    any_lake.write_bytes("raw/tree/sub/f.txt", b"f")
    any_lake.write_bytes("raw/keep.txt", b"k")
    any_lake.write_bytes("raw/gone.txt", b"g")

    any_lake.delete("raw/gone.txt")
    any_lake.delete("raw/tree")

    assert any_lake.list("raw") == ["keep.txt"]
    assert _files_under(lake_dir) == {"raw/keep.txt": b"k"}


# Construction ------------------------------------------------------------------------------


def test_lakes_refuse_a_root_of_the_other_kind(webhdfs):
    with pytest.raises(LakeError, match="file://"):
        LocalLake("hdfs://nn:8020/lake")
    with pytest.raises(LakeError, match="hdfs://"):
        HdfsLake("file:///tmp/lake", webhdfs.url)


def _clear_ecomlab_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("ECOMLAB_"):
            monkeypatch.delenv(name)


def test_lake_from_settings_builds_a_local_lake_and_its_root(monkeypatch, tmp_path):
    _clear_ecomlab_env(monkeypatch)
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path / "home"))

    lake = lake_from_settings(load_settings("embedded"))

    assert isinstance(lake, LocalLake)
    assert lake.root == tmp_path / "home" / "lake"
    assert lake.root.is_dir()


def test_lake_from_settings_builds_an_hdfs_lake_on_webhdfs(monkeypatch, tmp_path, webhdfs):
    _clear_ecomlab_env(monkeypatch)
    site = tmp_path / "site.yaml"
    site.write_text(
        "lake_root: hdfs://namenode.test:8020/ecomlab\n"
        "metastore: thrift://meta.test:9083\n"
        "mart_url: postgresql://ecomlab@db.test/mart\n"
        "zookeeper_hosts: zk.test:2181\n"
        f"webhdfs_url: {webhdfs.url}\n"
        "hdfs_user: etl\n"
    )
    lake = lake_from_settings(load_settings("cluster", config_file=site))

    assert isinstance(lake, HdfsLake)
    lake.makedirs("raw")
    lake.write_bytes("raw/hello.txt", b"hello")
    assert (webhdfs.local_path("/ecomlab/raw/hello.txt")).read_bytes() == b"hello"
    assert lake.uri("raw/hello.txt") == "hdfs://namenode.test:8020/ecomlab/raw/hello.txt"
    lake.client._session.close()


# The stand-in itself: the real client protocol, and a clean stop ----------------------------------


def test_hdfs_lake_goes_through_the_webhdfs_two_step_create_and_open(hdfs_lake, webhdfs, tmp_path):
    source = tmp_path / "f.csv"
    source.write_bytes(b"a\n" * 100_000)
    hdfs_lake.makedirs("raw")
    hdfs_lake.upload(source, "raw/f.csv")
    assert hdfs_lake.read_bytes("raw/f.csv") == source.read_bytes()

    steps = [(op, step) for _, op, path, step in webhdfs.requests if path == "/lake/raw/f.csv"]
    assert ("CREATE", "namenode") in steps
    assert ("CREATE", "datanode") in steps
    assert ("OPEN", "namenode") in steps
    assert ("OPEN", "datanode") in steps


def test_standin_answers_missing_paths_with_a_remote_exception(webhdfs):
    client = InsecureClient(webhdfs.url, user="t")
    assert client.status("/nope", strict=False) is None
    with pytest.raises(HdfsError) as raised:
        client.status("/nope")
    assert raised.value.exception == "FileNotFoundException"
    assert "/nope" in str(raised.value)
    client._session.close()


def test_standin_renames_into_an_existing_directory_like_hdfs(webhdfs):
    client = InsecureClient(webhdfs.url, user="t")
    client.write("/a/src/f", data=b"1")
    client.makedirs("/b")
    client.rename("/a/src", "/b")
    assert client.list("/b") == ["src"]
    client.write("/c/src", data=b"2")
    with pytest.raises(HdfsError, match="Unable to rename"):
        client.rename("/b/src", "/c")  # /c/src exists: HDFS answers false
    client._session.close()


def test_standin_stops_cleanly_leaving_no_thread(tmp_path):
    before = set(threading.enumerate())
    with running_standin(tmp_path / "fs") as server:
        port = int(server.url.rsplit(":", 1)[1])
        lake = HdfsLake("hdfs://nn.test:8020/lake", server.url, user="t")
        lake.makedirs("raw")
        lake.write_bytes("raw/f", b"x")
        assert lake.read_bytes("raw/f") == b"x"
        lake.client._session.close()
        assert set(threading.enumerate()) - before  # the server thread was running

    assert set(threading.enumerate()) - before == set()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_standin_url_needs_a_running_server(tmp_path):
    server = WebHdfsStandIn(tmp_path / "fs")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_hdfs_rename_that_loses_a_race_undoes_the_nesting(hdfs_lake, webhdfs, monkeypatch):
    """The target appears between the existence check and the rename: HDFS nests the source."""
    hdfs_lake.write_bytes("staging-1/file.csv", b"mine")
    hdfs_lake.makedirs("final")
    hdfs_lake.write_bytes("final/file.csv", b"theirs")
    real_exists = hdfs_lake.exists
    calls = []

    def exists_racing(path: str) -> bool:
        calls.append(path)
        return False if len(calls) == 1 else real_exists(path)

    monkeypatch.setattr(hdfs_lake, "exists", exists_racing)
    assert hdfs_lake.rename("staging-1", "final") is False
    monkeypatch.undo()
    assert hdfs_lake.list("final") == ["file.csv"]
    assert hdfs_lake.read_bytes("final/file.csv") == b"theirs"


def test_hdfs_exists_does_not_take_a_server_error_for_absence(hdfs_lake, monkeypatch):
    from hdfs.util import HdfsError

    from ecomlab.storage.lake import LakeError

    def refuse(*args, **kwargs):
        raise HdfsError("Permission denied: user=ecomlab", exception="AccessControlException")

    monkeypatch.setattr(hdfs_lake.client, "status", refuse)
    with pytest.raises(LakeError, match="Permission denied"):
        hdfs_lake.exists("raw")
