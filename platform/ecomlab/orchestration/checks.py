"""The SQL check after the dashboards: the ADS layer is readable through HiveServer2.

It runs through the HiveServer2 endpoint (the Spark Thrift Server) with pyhive, as a
dashboard or a BI tool would read it. The embedded profile has no such endpoint.
"""

from __future__ import annotations

from contextlib import closing

from ecomlab.settings import Settings


class AdsCheckError(RuntimeError):
    """The ADS layer is missing or empty, as seen through HiveServer2."""


def has_hiveserver2(settings: Settings) -> bool:
    return settings.profile != "embedded"


def check_ads_tables(settings: Settings) -> list[str]:
    """The ADS tables HiveServer2 serves; AdsCheckError when there are none."""
    from ecomlab.warehouse import hiveserver2

    with hiveserver2.connect(settings) as connection, closing(connection.cursor()) as cursor:
        cursor.execute("SHOW TABLES IN ads")
        # Spark's SHOW TABLES gives (database, tableName, isTemporary).
        tables = sorted(row[1] for row in cursor.fetchall())
    if not tables:
        raise AdsCheckError("HiveServer2 shows no table in the ads database: the indicator and mining jobs wrote none")
    return tables
