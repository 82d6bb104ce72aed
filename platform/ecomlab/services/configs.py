"""Configuration files of the services, generated into `<home>/services/conf` on every `up`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.sax.saxutils import escape

from ecomlab.services.layout import Layout
from ecomlab.services.secrets import airflow_keys
from ecomlab.settings import Settings


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it may hold a password), replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def zookeeper_config(settings: Settings, layout: Layout) -> str:
    return "\n".join(
        [
            "tickTime=2000",
            f"dataDir={layout.data_dir('zookeeper')}",
            f"clientPort={settings.services.ports.zookeeper}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,srvr,stat,mntr",
            "autopurge.snapRetainCount=3",
            "autopurge.purgeInterval=24",
            "",
        ]
    )


def hive_site(settings: Settings, layout: Layout, password: str) -> str:
    """The metastore service's hive-site.xml: schema in the platform's PostgreSQL.

    DataNucleus creates the schema piece by piece on first use: `autoCreateAll` deadlocks
    on PostgreSQL at the first CREATE TABLE, and these keys only work from this file.
    """
    ports = settings.services.ports
    properties = {
        "javax.jdo.option.ConnectionURL": f"jdbc:postgresql://127.0.0.1:{ports.postgres}/metastore",
        "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
        "javax.jdo.option.ConnectionUserName": "ecomlab",
        "javax.jdo.option.ConnectionPassword": password,
        "datanucleus.schema.autoCreateAll": "false",
        "datanucleus.schema.autoCreateSchema": "true",
        "datanucleus.schema.autoCreateTables": "true",
        "datanucleus.schema.autoCreateColumns": "true",
        "datanucleus.schema.autoCreateConstraints": "false",
        "datanucleus.fixedDatastore": "false",
        "hive.metastore.schema.verification": "false",
        "hive.metastore.warehouse.dir": settings.warehouse_root,
        # Hive 2.3's async logging needs the LMAX disruptor, which pyspark does not ship.
        "hive.async.log.enabled": "false",
        "hive.exec.scratchdir": str(layout.tmp / "hive-scratch"),
    }
    body = "\n".join(
        f"  <property><name>{escape(k)}</name><value>{escape(v)}</value></property>" for k, v in properties.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{body}\n</configuration>\n'


def write_all(settings: Settings, layout: Layout, admin_password: str) -> None:
    (layout.conf / "hive").mkdir(parents=True, exist_ok=True)
    layout.data_dir("zookeeper").mkdir(parents=True, exist_ok=True)
    for name in ("spark-worker", "dask-worker", "airflow"):
        layout.data_dir(name).mkdir(parents=True, exist_ok=True)
    (layout.tmp / "hive-scratch").mkdir(parents=True, exist_ok=True)
    (layout.conf / "zoo.cfg").write_text(zookeeper_config(settings, layout), encoding="utf-8")
    write_private(layout.conf / "hive" / "hive-site.xml", hive_site(settings, layout, admin_password))
    write_private(layout.secrets / "airflow_passwords.json", json.dumps({"admin": admin_password}))
    airflow_keys(layout.secrets)
