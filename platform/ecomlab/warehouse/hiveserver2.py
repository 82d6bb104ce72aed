"""The HiveServer2 endpoint (Spark Thrift Server) through PyHive, found in the service registry.

PyHive is unmaintained, so this is the only module that imports it. The endpoint's
address is not configured: it is looked up in the registry (ZooKeeper), where the local
platform's registrar announces the Thrift Server while it is healthy, so a stopped
server fails here with an error naming it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ecomlab.services.discovery import ServiceDown, host_port, require
from ecomlab.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

SERVICE = "thrift-server"


class HiveServer2Unavailable(ServiceDown):
    """The Thrift Server is not registered (down) or does not answer."""

    def __init__(self, message: str):
        super().__init__(SERVICE, message)


def endpoint(settings: Settings) -> tuple[str, int]:
    """host and port of a healthy Thrift Server, from the registry."""
    try:
        return host_port(require(settings, SERVICE))
    except ServiceDown as exc:
        raise HiveServer2Unavailable(str(exc)) from exc


@contextmanager
def connect(settings: Settings, username: str = "ecomlab"):
    """A PyHive connection to the registered Thrift Server (auth NONE, loopback)."""
    from pyhive import hive
    from thrift.transport.TTransport import TTransportException

    host, port = endpoint(settings)
    try:
        connection = hive.connect(host=host, port=port, username=username, auth="NONE")
    except (TTransportException, OSError) as exc:
        raise HiveServer2Unavailable(f"{SERVICE} at {host}:{port} does not answer: {exc}") from exc
    try:
        yield connection
    finally:
        connection.close()


def query(settings: Settings, sql: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run one query and return its rows as a DataFrame (read_sql_query: read_sql fails on this driver)."""
    import warnings

    import pandas as pd

    with connect(settings) as connection, warnings.catch_warnings():
        # pandas warns about DBAPI connections other than sqlite3; PyHive's works for queries.
        warnings.simplefilter("ignore", UserWarning)
        frame = pd.read_sql_query(sql, connection, params=parameters)
    return frame


def execute(settings: Settings, sql: str) -> None:
    """Run one statement that returns no rows (DDL, INSERT)."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
