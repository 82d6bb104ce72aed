"""Lakes for the storage tests: a LocalLake, and an HdfsLake talking to a WebHDFS stand-in.

HDFS cannot run here; the stand-in (webhdfs_standin.py, importable because pytest puts
this directory on sys.path) speaks the WebHDFS REST protocol over a temp directory so
that the real `hdfs` client code path is exercised.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from webhdfs_standin import WebHdfsStandIn, running_standin

from ecomlab.storage.lake import HdfsLake, Lake, LocalLake

HDFS_ROOT_URI = "hdfs://namenode.test:8020/lake"


@pytest.fixture
def webhdfs(tmp_path) -> WebHdfsStandIn:
    with running_standin(tmp_path / "hdfs-fs") as server:
        yield server


@pytest.fixture
def local_lake(tmp_path) -> LocalLake:
    root = tmp_path / "local-lake"
    root.mkdir()
    return LocalLake(root.as_uri())


@pytest.fixture
def hdfs_lake(webhdfs) -> HdfsLake:
    lake = HdfsLake(HDFS_ROOT_URI, webhdfs.url, user="ecomlab-test")
    yield lake
    lake.client._session.close()


@pytest.fixture(params=["local", "hdfs"])
def any_lake(request) -> Lake:
    """The same tests on both kinds of lake."""
    return request.getfixturevalue(f"{request.param}_lake")


@pytest.fixture
def lake_dir(request, any_lake) -> Path:
    """The local directory that holds the lake's root (to check what really was stored)."""
    if isinstance(any_lake, LocalLake):
        return any_lake.root
    return request.getfixturevalue("webhdfs").local_path(any_lake.root)
