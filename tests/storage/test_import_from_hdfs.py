"""Importing a file named by an hdfs:// URI, read through the lake's WebHDFS client.

HDFS cannot run here; the WebHDFS stand-in (see conftest.py) serves the protocol.
"""

from __future__ import annotations

import pytest

from ecomlab.sources.fetch import FetchError
from ecomlab.sources.importers import import_file


def test_an_hdfs_file_is_fetched_checked_and_landed_unchanged(hdfs_lake, webhdfs, datasets):
    original = (datasets / "cdnow" / "CDNOW_sample.txt").read_bytes()
    hdfs_lake.write_bytes("incoming/CDNOW_sample.txt", original)
    uri = f"{hdfs_lake.root_uri}/incoming/CDNOW_sample.txt"

    result = import_file("cdnow", uri, hdfs_lake)

    assert result.validation.file == uri
    assert result.validation.rows == original.count(b"\n")
    assert result.entity.name == "sample_purchases"
    assert hdfs_lake.read_bytes(result.manifest.file_path) == original


def test_a_missing_hdfs_file_names_the_uri(hdfs_lake):
    uri = f"{hdfs_lake.root_uri}/incoming/absent.csv"
    with pytest.raises(FetchError, match=r"absent\.csv"):
        import_file("taobao", uri, hdfs_lake)
