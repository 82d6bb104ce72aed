import sys
from pathlib import Path

import pytest

from ecomlab.dashboards.catalog import load_labels
from ecomlab.mart import Mart

sys.path.insert(0, str(Path(__file__).parent))
from dashboard_planted import plant, write_catalog


@pytest.fixture
def mart(tmp_path):
    mart = Mart(f"sqlite:///{tmp_path / 'mart.db'}")
    yield mart
    mart.dispose()


@pytest.fixture
def planted(mart):
    plant(mart)
    return mart


@pytest.fixture
def labels(tmp_path):
    return load_labels(write_catalog(tmp_path / "catalog.yaml"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every page of every dashboard test."""
    from dashboard_browser import Browser, unavailable

    reason = unavailable()
    if reason:
        pytest.fail(f"the dashboard browser tests need a real browser: {reason}")
    session = Browser()
    yield session
    session.close()


@pytest.fixture(scope="session")
def artifacts():
    """Screenshots of the browser tests, kept as test artefacts."""
    import os

    root = Path(
        os.environ.get("ECOMLAB_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "test-artifacts")
    )
    directory = root / "dashboards"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
