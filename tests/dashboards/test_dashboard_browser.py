"""Every dashboard in headless Chromium: charts drawn with the mart's values, no console errors,
no request leaving the machine, and planted scripts that do not run. Screenshots are kept."""

from urllib.parse import urlparse

import pytest
from dashboard_expected import EXPECTED, RULE_LINKS, shown
from dashboard_planted import CLEAN_NAMES, IMG, SCRIPT, plant, write_catalog
from markupsafe import escape

from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.catalog import load_labels
from ecomlab.dashboards.export import export_dashboards
from ecomlab.mart import Mart

pytestmark = pytest.mark.slow


def local_only(requests: list[str]) -> list[str]:
    """The requests that would leave the machine (anything but files and loopback)."""
    outside = []
    for url in requests:
        parsed = urlparse(url)
        if parsed.scheme in ("file", "data", "blob"):
            continue
        if parsed.scheme in ("http", "https") and parsed.hostname in ("127.0.0.1", "localhost", "::1"):
            continue
        outside.append(url)
    return outside


def problems(report: dict) -> list[str]:
    found = [f"console {m['type']}: {m['text']}" for m in report["console"] if m["type"] in ("error", "warning")]
    found += [f"page error: {e}" for e in report["errors"]]
    found += [f"request leaving the machine: {u}" for u in local_only(report["requests"])]
    found += [f"chart {c['key']} not rendered" for c in report["charts"] if not c["rendered"]]
    return found


def export_of(tmp_path_factory, name, names=None, definition=None):
    root = tmp_path_factory.mktemp(name)
    mart = Mart(f"sqlite:///{root / 'mart.db'}")
    plant(mart, names)
    labels = load_labels(write_catalog(root / "catalog.yaml", definition_of_gmv=definition))
    result = export_dashboards(mart, root / "out", labels)
    mart.dispose()
    return result


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export_of(tmp_path_factory, "export")


@pytest.fixture(scope="module")
def payload_names():
    return {key: (SCRIPT if i % 2 else IMG) + key for i, key in enumerate(CLEAN_NAMES)}


@pytest.fixture(scope="module")
def exported_with_payloads(tmp_path_factory, payload_names):
    return export_of(tmp_path_factory, "payloads", payload_names, definition=SCRIPT + IMG)


def test_the_index_opens_from_disk_and_links_every_board(browser, exported, artifacts):
    report = browser.visit(exported.index.as_uri(), artifacts / "export-index.png", hover=False)
    assert problems(report) == []
    assert all(board.TITLE in report["text"] for board in BOARDS)


@pytest.mark.parametrize("slug", [board.SLUG for board in BOARDS])
def test_every_exported_board_shows_the_mart_values(browser, exported, artifacts, slug):
    page = next(p for p in exported.pages if p.stem == slug)
    report = browser.visit(page.as_uri(), artifacts / f"export-{slug}.png")
    assert problems(report) == []
    assert report["requests"][0] == page.as_uri() and len(report["requests"]) == 4  # page, css, echarts, js
    charts = {chart["key"]: chart for chart in report["charts"]}
    for key, series in EXPECTED[slug].items():
        assert shown(charts[key]) == series, key
    if slug == "rules":
        links = {(e["source"], e["target"], e["value"]) for e in charts["rules:graph"]["series"][0]["links"]}
        assert links == RULE_LINKS
    assert report["empty"] == []


def test_planted_scripts_in_product_names_and_reviews_do_not_run(browser, exported_with_payloads, artifacts):
    for page in exported_with_payloads.pages:
        report = browser.visit(page.as_uri(), artifacts / f"payload-{page.stem}.png", hover=True)
        assert problems(report) == [], page.stem
        assert report["xss"] == 0, page.stem
        assert report["injected"] == {"handlers": 0, "inline_scripts": 0, "images": 0}, page.stem
        if page.stem in ("rules", "recommendations", "overview"):
            assert SCRIPT in report["text"] or IMG in report["text"], page.stem  # shown, as text


def test_the_payload_check_would_catch_markup_that_was_not_escaped(browser, exported_with_payloads, tmp_path):
    # Control: the same page with its escaping undone and no CSP, as a careless renderer would write it.
    page = next(p for p in exported_with_payloads.pages if p.stem == "rules")
    text = page.read_text()
    text = text.replace(str(escape(SCRIPT)), SCRIPT).replace(str(escape(IMG)), IMG)
    text = text.replace('<meta http-equiv="Content-Security-Policy"', '<meta name="no-csp"')
    unsafe = page.with_name("unsafe-rules.html")
    unsafe.write_text(text)
    report = browser.visit(unsafe.as_uri(), hover=False)
    assert report["xss"] >= 2
    assert report["injected"]["images"] > 0 and report["injected"]["inline_scripts"] > 0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from ecomlab.dashboards.server import create_app, start_server

    root = tmp_path_factory.mktemp("served")
    mart = Mart(f"sqlite:///{root / 'mart.db'}")
    plant(mart)
    labels = load_labels(write_catalog(root / "catalog.yaml"))
    running = start_server(create_app(mart, labels))
    yield mart, running.url
    running.stop()
    mart.dispose()


@pytest.mark.parametrize("slug", [board.SLUG for board in BOARDS])
def test_every_served_board_shows_the_mart_values(browser, served, artifacts, slug):
    _, url = served
    report = browser.visit(f"{url}/shop/{slug}", artifacts / f"served-{slug}.png")
    assert problems(report) == []
    charts = {chart["key"]: chart for chart in report["charts"]}
    for key, series in EXPECTED[slug].items():
        assert shown(charts[key]) == series, key


def test_served_filters_narrow_what_the_browser_shows(browser, served, artifacts):
    _, url = served
    report = browser.visit(f"{url}/shop/traffic?start=2026-11-02&channel=search", artifacts / "served-filtered.png")
    assert problems(report) == []
    charts = {chart["key"]: chart for chart in report["charts"]}
    assert shown(charts["by:visits:channel"]) == {"search": [70, 80]}
    assert shown(charts["trend:visits"]) == {"Visits": [120, 140]}
    refused = browser.visit(f"{url}/shop/traffic?start=2026-11-31", hover=False)
    assert "bad request: start: '2026-11-31' is not a date (YYYY-MM-DD)" in refused["text"]


def test_the_realtime_panel_refreshes_with_new_minutes(browser, served, artifacts):
    import pandas as pd

    mart, url = served
    report = browser.visit(f"{url}/shop/realtime", keep=True)
    page = report["page"]
    assert shown(next(c for c in report["charts"] if c["key"] == "realtime:traffic"))["uv"] == [5, 6, 7, 8, 9]
    rows = mart.read("SELECT * FROM realtime_minute WHERE dataset = 'shop' ORDER BY window_start")
    new = {"dataset": "shop", "window_start": "2026-11-03 10:05:00", "uv": 42, "pv": 99, "orders": 4, "gmv": 400.0}
    mart.replace("realtime_minute", pd.concat([rows, pd.DataFrame([new])]), partition={"dataset": "shop"})
    report = browser.collect(page, "realtime:traffic", 6, screenshot=artifacts / "served-realtime-refreshed.png")
    browser.close_page(page)
    assert problems(report) == []
    assert report["refreshes"] >= 1
    charts = {chart["key"]: chart for chart in report["charts"]}
    assert shown(charts["realtime:traffic"])["uv"] == [5, 6, 7, 8, 9, 42]
    assert {card["key"]: card["value"] for card in report["cards"]}["now:uv"] == "42"
