"""Bring a file named by a URI to this machine, so that it can be checked and landed.

Supported: `http(s)://` (streamed download) and `hdfs://` (read through the lake's WebHDFS
client, for a lake on the same cluster). The bytes are kept exactly as received.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from ecomlab.storage.lake import HdfsLake, Lake

REMOTE_SCHEMES = ("http", "https", "hdfs")
_CHUNK = 1 << 20
_TIMEOUT_SECONDS = 60


class FetchError(OSError):
    """A remote file could not be fetched; the message names the URI and why."""


def is_remote(location: object) -> bool:
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", str(location))
    return bool(match) and match.group(1).lower() in REMOTE_SCHEMES


def fetch(
    location: str, directory: Path, lake: Lake | None = None, progress: Callable[[int], None] | None = None
) -> Path:
    """Copy a remote file into `directory` (same file name) and return the local path."""
    parsed = urlparse(location)
    name = PurePosixPath(unquote(parsed.path)).name
    if not name:
        raise FetchError(f"cannot fetch {location}: the URI names no file")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    partial = directory / f".{name}.part"
    scheme = parsed.scheme.lower()
    try:
        if scheme in ("http", "https"):
            _download(location, partial, progress)
        elif scheme == "hdfs":
            _read_hdfs(location, parsed.netloc, unquote(parsed.path), partial, lake, progress)
        else:
            raise FetchError(f"cannot fetch {location}: unsupported scheme {scheme}://")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _copy(source, partial: Path, progress) -> None:
    with partial.open("wb") as out:
        while chunk := source.read(_CHUNK):
            out.write(chunk)
            if progress:
                progress(len(chunk))


def _download(url: str, partial: Path, progress) -> None:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as response:
            _copy(response, partial, progress)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise FetchError(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from exc


def _read_hdfs(uri: str, netloc: str, path: str, partial: Path, lake: Lake | None, progress) -> None:
    if not isinstance(lake, HdfsLake) or urlparse(lake.root_uri).netloc != netloc:
        raise FetchError(
            f"cannot fetch {uri}: hdfs:// files are read through the lake's WebHDFS client, "
            f"so the lake must be on the same cluster (hdfs://{netloc}); copy the file locally first"
        )
    from hdfs.util import HdfsError

    try:
        with lake.client.read(path) as reader:
            _copy(reader, partial, progress)
    except HdfsError as exc:
        raise FetchError(f"cannot fetch {uri}: {exc}") from exc
