"""Shared fixtures: one real Spark session with Hive support (embedded Derby) per test run.

Derby allows one process per metastore, so every test that needs Spark shares the
session below; tests that start the CLI in a subprocess use a home of their own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its home once, when it is first imported (by whichever test comes first):
# give the whole run one temporary home, never the user's ~/airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="ecomlab-test-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
DATASETS = Path(os.environ.get("ECOMLAB_DATASETS", REPO_ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.fail(f"the shared datasets are missing: {DATASETS} (set ECOMLAB_DATASETS)")
    return DATASETS


@pytest.fixture(scope="session")
def ecomlab_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ecomlab-home")


@pytest.fixture(scope="session")
def settings(ecomlab_home):
    from ecomlab.settings import load_settings

    os.environ["ECOMLAB_HOME"] = str(ecomlab_home)
    os.environ["ECOMLAB_SPARK__SHUFFLE_PARTITIONS"] = "2"
    return load_settings("embedded")


@pytest.fixture(scope="session")
def spark(settings):
    from ecomlab.warehouse.catalog import ensure_databases
    from ecomlab.warehouse.spark import create_spark

    session = create_spark(settings, app_name="ecomlab-tests")
    ensure_databases(session, settings.warehouse_root)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def lake(settings):
    from ecomlab.storage.lake import lake_from_settings

    return lake_from_settings(settings)


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory):
    """A real ZooKeeper (from pyspark's jars) on loopback for the session, stopped at the end."""
    from ecomlab.coordination.zkserver import ZooKeeperServer

    server = ZooKeeperServer(tmp_path_factory.mktemp("zookeeper"))
    server.start()
    yield server
    server.stop()
