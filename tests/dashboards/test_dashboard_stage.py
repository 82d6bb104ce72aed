"""The main job's dashboards stage: an export from whatever the mart holds, never a crash."""

import pytest
from dashboard_planted import CATALOG, plant

from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.data import TABLES
from ecomlab.dashboards.stage import dashboards_dir, export_for_run
from ecomlab.mart import Mart
from ecomlab.settings import load_settings


@pytest.fixture
def home_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_PROFILE", "embedded")
    return load_settings()


def test_an_empty_mart_exports_labelled_empty_boards_for_the_run(home_settings):
    result = export_for_run(home_settings, ["shop"], catalog=CATALOG)
    assert result.index == dashboards_dir(home_settings) / "index.html"
    assert result.datasets == ["shop"] and len(result.pages) == len(BOARDS)
    overview = (dashboards_dir(home_settings) / "shop" / "overview.html").read_text()
    assert "No data. The mart has no table indicator_daily yet: the indicators stage has not written it." in overview
    rules = (dashboards_dir(home_settings) / "shop" / "rules.html").read_text()
    assert "No data. The mart has no table mining_rules yet: the mining stage has not written it." in rules


def test_a_partly_filled_mart_shows_what_it_has(home_settings):
    mart = Mart.from_settings(home_settings)
    plant(mart, skip=tuple(t for t in TABLES if t.startswith("mining_")))
    mart.dispose()
    result = export_for_run(home_settings, ["shop", "crawl"], catalog=CATALOG)
    assert result.datasets == ["shop", "crawl"]
    overview = (dashboards_dir(home_settings) / "shop" / "overview.html").read_text()
    assert 'data-chart="trend:gmv"' in overview and "No data." not in overview
    assert "mining stage has not written it" in (dashboards_dir(home_settings) / "shop" / "cohorts.html").read_text()
