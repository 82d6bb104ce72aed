"""A small WebHDFS-protocol stand-in server for the tests.

HDFS cannot run here (no Hadoop server jars are reachable), so this server speaks the
subset of the WebHDFS REST API (`/webhdfs/v1/<path>?op=...`) that the `hdfs` package's
client uses, over a temporary directory: GETFILESTATUS, LISTSTATUS, MKDIRS, CREATE (the
two-step protocol: the "namenode" answers 307 with a Location on a "datanode" URL, which
receives the data), OPEN (also through a 307), RENAME, DELETE and GETHOMEDIRECTORY.
Errors are answered as WebHDFS does, with a `RemoteException` JSON body, so the real
client code path (redirects, chunked uploads, error mapping) is exercised.

Semantics follow HDFS where the client or the lake depends on them:

- CREATE makes missing parent directories and refuses an existing file unless
  `overwrite=true` (FileAlreadyExistsException); a directory is never overwritten;
- RENAME is the classic HDFS rename: onto an existing directory it moves the source
  *into* it (which is why a lake must check for an existing target first); it answers
  `{"boolean": false}` when the source is missing, the final target exists, or the
  target's parent directory is missing;
- DELETE of a missing path answers `{"boolean": false}`; a non-empty directory needs
  `recursive=true`.

Usage: `with WebHdfsStandIn(tmp_dir) as server: InsecureClient(server.url)`; every
request is recorded in `server.requests` as `(method, op, path, step)`, and
`server.fail_data_writes_matching` makes the datanode step of CREATE fail mid-upload
for paths containing that text.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

PREFIX = "/webhdfs/v1"
_BLOCK = 1 << 16


class RemoteError(Exception):
    """An error to answer as a WebHDFS RemoteException."""

    def __init__(self, status: HTTPStatus, exception: str, java_package: str, message: str):
        super().__init__(message)
        self.status = status
        self.exception = exception
        self.java_class = f"{java_package}.{exception}"
        self.message = message

    def body(self) -> dict:
        return {
            "RemoteException": {
                "exception": self.exception,
                "javaClassName": self.java_class,
                "message": self.message,
            }
        }


def _not_found(message: str) -> RemoteError:
    return RemoteError(HTTPStatus.NOT_FOUND, "FileNotFoundException", "java.io", message)


def _flag(params: dict[str, str], name: str) -> bool:
    return params.get(name, "false").lower() == "true"


class WebHdfsStandIn:
    """A threaded WebHDFS server on 127.0.0.1 (random port) over a local directory."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.requests: list[tuple[str, str, str, str]] = []
        self.fail_data_writes_matching: str | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the WebHDFS stand-in is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebHdfsStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        # Handler threads are joined by server_close(), so none is left behind.
        server.daemon_threads = False
        server.block_on_close = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="webhdfs-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> WebHdfsStandIn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # Paths --------------------------------------------------------------------------

    def local_path(self, hdfs_path: str) -> Path:
        """The local file behind an absolute HDFS path (refusing paths outside the root)."""
        normal = posixpath.normpath("/" + hdfs_path.lstrip("/"))
        local = (self.root / normal.lstrip("/")).resolve()
        if local != self.root and self.root not in local.parents:
            raise RemoteError(HTTPStatus.FORBIDDEN, "AccessControlException", "org.apache.hadoop.security", hdfs_path)
        return local

    def _record(self, method: str, op: str, path: str, step: str) -> None:
        with self._lock:
            self.requests.append((method, op, path, step))

    # Operations ---------------------------------------------------------------------

    def file_status(self, local: Path, suffix: str = "") -> dict:
        stat = local.stat()
        is_dir = local.is_dir()
        return {
            "accessTime": 0 if is_dir else int(stat.st_atime * 1000),
            "blockSize": 0 if is_dir else 134217728,
            "childrenNum": len(list(local.iterdir())) if is_dir else 0,
            "fileId": stat.st_ino,
            "group": "supergroup",
            "length": 0 if is_dir else stat.st_size,
            "modificationTime": int(stat.st_mtime * 1000),
            "owner": "standin",
            "pathSuffix": suffix,
            "permission": "755" if is_dir else "644",
            "replication": 0 if is_dir else 1,
            "storagePolicy": 0,
            "type": "DIRECTORY" if is_dir else "FILE",
        }


def _handler_class(standin: WebHdfsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(_WebHdfsHandler):
        server_state = standin

    return Handler


class _WebHdfsHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so every handler thread ends after its response.
    protocol_version = "HTTP/1.0"
    server_state: WebHdfsStandIn

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # Plumbing -----------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        state = self.server_state
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        op = params.get("op", "").upper()
        raw_path = unquote(parts.path)
        datanode = _flag(params, "datanode")
        try:
            if not raw_path.startswith(PREFIX):
                raise RemoteError(
                    HTTPStatus.NOT_FOUND, "IllegalArgumentException", "java.lang", f"not a WebHDFS path: {raw_path}"
                )
            hdfs_path = posixpath.normpath("/" + raw_path[len(PREFIX) :].lstrip("/"))
            state._record(method, op, hdfs_path, "datanode" if datanode else "namenode")
            handler = _OPERATIONS.get((method, op))
            if handler is None:
                self._drain_body()
                raise RemoteError(
                    HTTPStatus.BAD_REQUEST,
                    "IllegalArgumentException",
                    "java.lang",
                    f'Invalid value for webhdfs parameter "op": {op!r} is not supported with {method}',
                )
            handler(self, hdfs_path, params, datanode)
        except RemoteError as error:
            self._drain_body()
            self._send_json(error.status, error.body())
        except Exception as exc:  # answer as a NameNode would, rather than drop the connection
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                RemoteError(HTTPStatus.INTERNAL_SERVER_ERROR, "IOException", "java.io", repr(exc)).body(),
            )

    def _body_chunks(self) -> Iterator[bytes]:
        """The request body, decoding `Transfer-Encoding: chunked` (used for streamed uploads)."""
        if getattr(self, "_body_read", False):
            return
        self._body_read = True
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                remaining = size
                while remaining:
                    data = self.rfile.read(min(remaining, _BLOCK))
                    if not data:
                        raise ConnectionError("client closed the connection mid-chunk")
                    remaining -= len(data)
                    yield data
                self.rfile.readline()  # CRLF after the chunk
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                data = self.rfile.read(min(remaining, _BLOCK))
                if not data:
                    raise ConnectionError("client closed the connection mid-body")
                remaining -= len(data)
                yield data

    def _drain_body(self) -> None:
        for _ in self._body_chunks():
            pass

    def _send_json(self, status: HTTPStatus, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_empty(self, status: HTTPStatus, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _redirect_to_datanode(self, hdfs_path: str, params: dict[str, str]) -> None:
        query = dict(params, datanode="true", namenoderpcaddress="standin:8020")
        query.pop("user.name", None)  # the client adds its session params again
        location = f"{self.server_state.url}{PREFIX}{quote(hdfs_path)}?{urlencode(query)}"
        self._send_empty(HTTPStatus.TEMPORARY_REDIRECT, {"Location": location})

    # Operations ---------------------------------------------------------------------

    def op_get_file_status(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        local = self.server_state.local_path(hdfs_path)
        if not local.exists():
            raise _not_found(f"File does not exist: {hdfs_path}")
        self._send_json(HTTPStatus.OK, {"FileStatus": self.server_state.file_status(local)})

    def op_list_status(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        local = self.server_state.local_path(hdfs_path)
        if not local.exists():
            raise _not_found(f"File {hdfs_path} does not exist.")
        if local.is_dir():
            statuses = [self.server_state.file_status(child, child.name) for child in sorted(local.iterdir())]
        else:
            # As HDFS: listing a file answers that one file, with an empty suffix.
            statuses = [self.server_state.file_status(local)]
        self._send_json(HTTPStatus.OK, {"FileStatuses": {"FileStatus": statuses}})

    def op_get_home_directory(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        self._send_json(HTTPStatus.OK, {"Path": f"/user/{params.get('user.name', 'standin')}"})

    def op_mkdirs(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        local = self.server_state.local_path(hdfs_path)
        try:
            local.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise RemoteError(
                HTTPStatus.FORBIDDEN,
                "FileAlreadyExistsException",
                "org.apache.hadoop.fs",
                f"Path is not a directory: {hdfs_path}",
            ) from exc
        self._send_json(HTTPStatus.OK, {"boolean": True})

    def op_create(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        if not datanode:
            self._drain_body()
            self._redirect_to_datanode(hdfs_path, params)
            return
        state = self.server_state
        local = state.local_path(hdfs_path)
        if local.is_dir():
            raise RemoteError(
                HTTPStatus.FORBIDDEN,
                "FileAlreadyExistsException",
                "org.apache.hadoop.fs",
                f"{hdfs_path} already exists as a directory",
            )
        if local.exists() and not _flag(params, "overwrite"):
            raise RemoteError(
                HTTPStatus.FORBIDDEN,
                "FileAlreadyExistsException",
                "org.apache.hadoop.fs",
                f"{hdfs_path} already exists",
            )
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise RemoteError(
                HTTPStatus.FORBIDDEN,
                "ParentNotDirectoryException",
                "org.apache.hadoop.fs",
                f"Parent path is not a directory: {hdfs_path}",
            ) from exc
        fail = state.fail_data_writes_matching is not None and state.fail_data_writes_matching in hdfs_path
        written = 0
        with local.open("wb") as out:
            for chunk in self._body_chunks():
                if fail and written:
                    continue  # the rest of the data never reaches the file
                out.write(chunk)
                written += len(chunk)
        if fail:
            # As a datanode dying mid-write: part of the data stays behind in the file.
            raise RemoteError(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "IOException",
                "java.io",
                f"All datanodes are bad. Aborting write of {hdfs_path}",
            )
        self._send_empty(HTTPStatus.CREATED, {"Location": f"hdfs://standin:8020{quote(hdfs_path)}"})

    def op_open(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        local = self.server_state.local_path(hdfs_path)
        if not local.exists():
            raise _not_found(f"File does not exist: {hdfs_path}")
        if local.is_dir():
            raise _not_found(f"Path is not a file: {hdfs_path}")
        if not datanode:
            self._redirect_to_datanode(hdfs_path, params)
            return
        data = local.read_bytes()
        offset = int(params.get("offset") or 0)
        length = params.get("length")
        data = data[offset : offset + int(length)] if length not in (None, "", "None") else data[offset:]
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def op_rename(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        state = self.server_state
        destination = params.get("destination", "")
        if not destination.startswith("/"):
            raise RemoteError(
                HTTPStatus.BAD_REQUEST,
                "IllegalArgumentException",
                "java.lang",
                f'Invalid value for webhdfs parameter "destination": {destination!r} is not absolute',
            )
        src = state.local_path(hdfs_path)
        dst = state.local_path(destination)
        if src == dst:
            self._send_json(HTTPStatus.OK, {"boolean": src.exists()})
            return
        # Classic HDFS rename: onto an existing directory, the source moves into it.
        target = dst / src.name if dst.is_dir() else dst
        ok = (
            src.exists()
            and src != state.root
            and not target.exists()
            and target.parent.is_dir()
            and src not in target.parents
        )
        if ok:
            src.rename(target)
        self._send_json(HTTPStatus.OK, {"boolean": ok})

    def op_delete(self, hdfs_path: str, params: dict[str, str], datanode: bool) -> None:
        state = self.server_state
        local = state.local_path(hdfs_path)
        if not local.exists() or local == state.root:
            self._send_json(HTTPStatus.OK, {"boolean": False})
            return
        if local.is_dir():
            if any(local.iterdir()) and not _flag(params, "recursive"):
                raise RemoteError(
                    HTTPStatus.FORBIDDEN,
                    "PathIsNotEmptyDirectoryException",
                    "org.apache.hadoop.fs",
                    f"`{hdfs_path} is non empty': Directory is not empty",
                )
            shutil.rmtree(local)
        else:
            local.unlink()
        self._send_json(HTTPStatus.OK, {"boolean": True})


_OPERATIONS = {
    ("GET", "GETFILESTATUS"): _WebHdfsHandler.op_get_file_status,
    ("GET", "LISTSTATUS"): _WebHdfsHandler.op_list_status,
    ("GET", "GETHOMEDIRECTORY"): _WebHdfsHandler.op_get_home_directory,
    ("GET", "OPEN"): _WebHdfsHandler.op_open,
    ("PUT", "MKDIRS"): _WebHdfsHandler.op_mkdirs,
    ("PUT", "CREATE"): _WebHdfsHandler.op_create,
    ("PUT", "RENAME"): _WebHdfsHandler.op_rename,
    ("DELETE", "DELETE"): _WebHdfsHandler.op_delete,
}


@contextmanager
def running_standin(root: Path) -> Iterator[WebHdfsStandIn]:
    """A started stand-in over `root`, stopped (and its threads joined) on exit."""
    server = WebHdfsStandIn(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
