"""Every dashboard in headless Chromium: charts drawn with the mart's values, no console errors,
no request leaving the machine, and planted scripts that do not run. Screenshots are kept."""

from urllib.parse import urlparse

import pytest
from expected import EXPECTED, RULE_LINKS, shown
from markupsafe import escape
from planted import CLEAN_NAMES, plant, write_catalog

from conftest import IMG, SCRIPT
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
