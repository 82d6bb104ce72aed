"""The data lake's file system: local files, or HDFS through WebHDFS.

Paths given to a lake are relative to its root (`raw/shop/events/...`); `uri()` turns
one into the absolute URI that Spark reads.
"""

from __future__ import annotations

import os
import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from ecomlab.settings import Settings


class LakeError(Exception):
    """A lake operation failed; the message names the path."""


class Lake(ABC):
    """The operations the platform needs from a lake: enough for atomic landing."""

    root_uri: str

    def uri(self, path: str) -> str:
        return f"{self.root_uri}/{path.strip('/')}" if path else self.root_uri

    @abstractmethod
    def exists(self, path: str) -> bool: ...

    @abstractmethod
    def list(self, path: str) -> list[str]:
        """Names directly under a directory ([] when it does not exist)."""

    @abstractmethod
    def makedirs(self, path: str) -> None: ...

    @abstractmethod
    def upload(self, local_file: Path, path: str) -> None:
        """Copy a local file to `path` (its parent must exist)."""

    @abstractmethod
    def write_bytes(self, path: str, data: bytes) -> None: ...

    @abstractmethod
    def read_bytes(self, path: str) -> bytes: ...

    @abstractmethod
    def open_read(self, path: str) -> IO[bytes]: ...

    @abstractmethod
    def rename(self, src: str, dst: str) -> bool:
        """Atomically move `src` to `dst`; False if `dst` already exists."""

    @abstractmethod
    def delete(self, path: str) -> None:
        """Remove a file or directory tree; no error when absent."""


class LocalLake(Lake):
    def __init__(self, root_uri: str):
        parsed = urlparse(root_uri)
        if parsed.scheme != "file":
            raise LakeError(f"LocalLake needs a file:// root, got {root_uri!r}")
        self.root_uri = root_uri.rstrip("/")
        self.root = Path(parsed.path)

    def _p(self, path: str) -> Path:
        resolved = (self.root / path.strip("/")).resolve()
        if resolved != self.root.resolve() and self.root.resolve() not in resolved.parents:
            raise LakeError(f"path {path!r} escapes the lake root {self.root}")
        return resolved

    def exists(self, path: str) -> bool:
        return self._p(path).exists()

    def list(self, path: str) -> list[str]:
        target = self._p(path)
        return sorted(p.name for p in target.iterdir()) if target.is_dir() else []

    def makedirs(self, path: str) -> None:
        self._p(path).mkdir(parents=True, exist_ok=True)

    def upload(self, local_file: Path, path: str) -> None:
        shutil.copyfile(local_file, self._p(path))

    def write_bytes(self, path: str, data: bytes) -> None:
        self._p(path).write_bytes(data)

    def read_bytes(self, path: str) -> bytes:
        try:
            return self._p(path).read_bytes()
        except FileNotFoundError as exc:
            raise LakeError(f"{self.uri(path)} does not exist") from exc

    def open_read(self, path: str) -> IO[bytes]:
        return self._p(path).open("rb")

    def rename(self, src: str, dst: str) -> bool:
        target = self._p(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # rename(2) of a directory onto a missing path is atomic; onto an existing
            # non-empty directory it fails, which is what keeps a landing single.
            os.rename(self._p(src), target)
        except OSError:
            if target.exists():
                return False
            raise
        return True

    def delete(self, path: str) -> None:
        target = self._p(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


class HdfsLake(Lake):
    """HDFS through the `hdfs` package's WebHDFS client (no native libraries needed)."""

    def __init__(self, root_uri: str, webhdfs_url: str, user: str | None = None, client=None):
        parsed = urlparse(root_uri)
        if parsed.scheme != "hdfs":
            raise LakeError(f"HdfsLake needs an hdfs:// root, got {root_uri!r}")
        self.root_uri = root_uri.rstrip("/")
        self.root = parsed.path.rstrip("/") or "/"
        if client is None:
            from hdfs import InsecureClient

            client = InsecureClient(webhdfs_url, user=user)
        self.client = client

    def _p(self, path: str) -> str:
        clean = path.strip("/")
        if ".." in clean.split("/"):
            raise LakeError(f"path {path!r} escapes the lake root {self.root}")
        return f"{self.root}/{clean}" if clean else self.root

    def exists(self, path: str) -> bool:
        from hdfs.util import HdfsError

        try:
            self.client.status(self._p(path))
        except HdfsError as exc:
            # Only "not found" means absent; any other failure must not pass for it.
            if getattr(exc, "exception", None) == "FileNotFoundException":
                return False
            raise LakeError(f"cannot check {self.uri(path)}: {exc}") from exc
        return True

    def list(self, path: str) -> list[str]:
        if not self.exists(path):
            return []
        return sorted(self.client.list(self._p(path)))

    def makedirs(self, path: str) -> None:
        self.client.makedirs(self._p(path))

    def upload(self, local_file: Path, path: str) -> None:
        self.client.upload(self._p(path), str(local_file), overwrite=True)

    def write_bytes(self, path: str, data: bytes) -> None:
        self.client.write(self._p(path), data=data, overwrite=True)

    def read_bytes(self, path: str) -> bytes:
        if not self.exists(path):
            raise LakeError(f"{self.uri(path)} does not exist")
        with self.client.read(self._p(path)) as reader:
            return reader.read()

    def open_read(self, path: str) -> IO[bytes]:
        import io

        return io.BytesIO(self.read_bytes(path))

    def rename(self, src: str, dst: str) -> bool:
        if self.exists(dst):
            return False
        parent = dst.rstrip("/").rsplit("/", 1)[0] if "/" in dst.strip("/") else ""
        self.makedirs(parent)
        # The NameNode's rename is atomic, but onto a directory that appeared since the
        # check above it moves `src` inside it: detect that, undo it and report the loss.
        self.client.rename(self._p(src), self._p(dst))
        nested = f"{dst.rstrip('/')}/{src.rstrip('/').rsplit('/', 1)[-1]}"
        if self.exists(nested):
            self.delete(nested)
            return False
        return True

    def delete(self, path: str) -> None:
        self.client.delete(self._p(path), recursive=True)


def lake_from_settings(settings: Settings) -> Lake:
    if settings.lake_root.startswith("hdfs://"):
        return HdfsLake(settings.lake_root, settings.webhdfs_url or "", settings.hdfs_user)
    lake = LocalLake(settings.lake_root)
    lake.root.mkdir(parents=True, exist_ok=True)
    return lake
