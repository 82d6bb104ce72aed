"""The live dashboards over HTTP (Starlette's test client): pages, refresh data, 400s, 405s, headers."""

import pytest
from dashboard_planted import plant, write_catalog
from starlette.testclient import TestClient

from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.catalog import load_labels
from ecomlab.dashboards.server import check_bind_host, create_app
from ecomlab.mart import Mart


@pytest.fixture(scope="module")
def served_mart(tmp_path_factory):
    root = tmp_path_factory.mktemp("server")
    mart = Mart(f"sqlite:///{root / 'mart.db'}")
    plant(mart)
    yield mart, load_labels(write_catalog(root / "catalog.yaml"))
    mart.dispose()


@pytest.fixture(scope="module")
def client(served_mart):
    with TestClient(create_app(*served_mart)) as client:
        yield client


def test_index_boards_and_assets_are_served_with_a_content_security_policy(client):
    index = client.get("/")
    assert index.status_code == 200
    assert 'href="shop/overview"' in index.text
    csp = index.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert index.headers["x-content-type-options"] == "nosniff"
    for board in BOARDS:
        response = client.get(f"/shop/{board.SLUG}")
        assert response.status_code == 200, board.SLUG
        assert '<script src="../assets/echarts.min.js"></script>' in response.text
    echarts = client.get("/assets/echarts.min.js")
    assert echarts.status_code == 200 and "echarts" in echarts.text[:2000]
    assert client.get("/assets/../../mart.db").status_code == 404


def test_filters_reach_the_page_and_its_links(client):
    response = client.get("/shop/traffic", params={"start": "2026-11-02", "channel": "social"})
    assert response.status_code == 200
    assert 'href="funnel?start=2026-11-02&amp;channel=social"' in response.text
    assert '<option value="social" selected>' in response.text
    data = client.get("/shop/traffic/data.json", params={"start": "2026-11-02", "channel": "social"}).json()
    series = data["charts"]["by:visits:channel"]["series"]
    assert [(s["name"], s["data"]) for s in series] == [("social", [50, 60])]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/shop/traffic", {"start": "yesterday"}, "start: 'yesterday' is not a date"),
        ("/shop/traffic", {"start": "2026-11-03", "end": "2026-11-01"}, "start 2026-11-03 is after end"),
        ("/shop/traffic", {"channel": "tv"}, "channel: 'tv' is not a value of this data set"),
        ("/shop/traffic", {"order_by": "1; drop table x"}, "unknown filter 'order_by'"),
        ("/taobao/traffic", {}, "dataset: 'taobao' is not in the mart"),
        ("/shop/realtime/data.json", {"end": "2026-02-30"}, "end: '2026-02-30' is not a date"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, path, params, message):
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert message in response.text
    assert response.headers["content-type"].startswith("text/plain")


def test_unknown_boards_are_404(client):
    assert client.get("/shop/nothing").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/shop/overview", "/shop/realtime/data.json", "/assets/echarts.min.js"])
def test_endpoints_are_read_only(client, served_mart, method, path):
    planted = served_mart[0]
    before = planted.read("SELECT count(*) AS n FROM indicator_daily")["n"].iloc[0]
    assert client.request(method, path).status_code == 405
    assert planted.read("SELECT count(*) AS n FROM indicator_daily")["n"].iloc[0] == before


def test_the_server_listens_on_loopback_unless_allowed():
    assert check_bind_host("127.0.0.1") == "127.0.0.1"
    with pytest.raises(ValueError, match="loopback only"):
        check_bind_host("0.0.0.0")
    assert check_bind_host("0.0.0.0", allow_public=True) == "0.0.0.0"
