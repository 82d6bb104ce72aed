"""Spark sessions with Hive support, built from the profile.

Handles the known pitfalls: driver bound to loopback, executors using this
interpreter, Hive scratch files kept out of /tmp, an absolute embedded Derby path,
and the ecomlab package shipped to executors when they run elsewhere.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

from ecomlab.settings import Settings

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def package_zip(target_dir: Path) -> Path:
    """Zip the ecomlab package so that executors on other hosts can import it."""
    target_dir.mkdir(parents=True, exist_ok=True)
    archive = target_dir / "ecomlab.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(_PACKAGE_DIR.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(_PACKAGE_DIR.parent))
    return archive


def spark_conf(settings: Settings, app_name: str = "ecomlab") -> dict[str, str]:
    """The Spark properties of a session for these settings (pure: easy to inspect)."""
    home = settings.home
    scratch = home / "tmp"
    conf = {
        "spark.app.name": app_name,
        "spark.master": settings.spark.master,
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.sql.warehouse.dir": settings.warehouse_root,
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.adaptive.enabled": "true",
        "spark.ui.showConsoleProgress": "false",
        "spark.hadoop.hive.exec.dynamic.partition": "true",
        "spark.hadoop.hive.exec.dynamic.partition.mode": "nonstrict",
        "spark.hadoop.hive.exec.scratchdir": str(scratch / "hive-scratch"),
        "spark.hadoop.hive.exec.local.scratchdir": str(scratch / "hive-local"),
        "spark.hadoop.hive.downloaded.resources.dir": str(scratch / "hive-resources"),
        "spark.local.dir": str(scratch / "spark"),
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={scratch} -Dderby.system.home={home}",
    }
    if settings.spark.jvm_options:
        conf["spark.driver.extraJavaOptions"] += " " + settings.spark.jvm_options
        conf["spark.executor.extraJavaOptions"] = settings.spark.jvm_options
    if settings.spark.master.startswith("local"):
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
        conf["spark.ui.enabled"] = "false"
    if settings.derby_path is not None:
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={settings.derby_path};create=true"
        )
        conf["spark.hadoop.datanucleus.schema.autoCreateAll"] = "true"
        conf["spark.hadoop.hive.metastore.schema.verification"] = "false"
    else:
        conf["spark.hadoop.hive.metastore.uris"] = settings.metastore
    if settings.lake_root.startswith("hdfs://"):
        namenode = settings.lake_root.split("/", 3)[2]
        conf["spark.hadoop.fs.defaultFS"] = f"hdfs://{namenode}"
    conf.update(settings.spark.conf)
    return conf


def create_spark(settings: Settings, app_name: str = "ecomlab"):
    """A SparkSession with Hive support for these settings (reused when one exists)."""
    from pyspark.sql import SparkSession

    conf = spark_conf(settings, app_name)
    for key in ("spark.hadoop.hive.exec.scratchdir", "spark.local.dir"):
        Path(conf[key]).mkdir(parents=True, exist_ok=True)
    (settings.home / "tmp").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if settings.spark.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    if not settings.spark.master.startswith("local"):
        # Executors on other hosts import ecomlab from this zip.
        spark.sparkContext.addPyFile(str(package_zip(Path(tempfile.mkdtemp(dir=settings.home / "tmp")))))
    return spark
