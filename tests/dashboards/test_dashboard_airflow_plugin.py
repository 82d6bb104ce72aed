"""The dashboards as an Airflow 3 plugin: mounted by a real API server, behind Airflow's login."""

import importlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from dashboard_expected import EXPECTED, shown
from dashboard_planted import plant

from ecomlab.mart import Mart


def test_the_plugin_module_imports_without_airflow_and_names_its_entry():
    module = importlib.import_module("ecomlab.dashboards.airflow_plugin")
    assert module.URL_PREFIX == "/ecomlab"
    assert module.EXTERNAL_VIEW["name"] == "Dashboards" and module.EXTERNAL_VIEW["href"] == "/ecomlab/"
    try:
        import airflow  # noqa: F401
    except ImportError:
        assert module.EcomlabDashboardsPlugin is None
    else:
        assert module.EcomlabDashboardsPlugin.fastapi_apps[0]["url_prefix"] == "/ecomlab"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    # Only look for Airflow: importing it here would configure it for the rest of the run.
    if importlib.util.find_spec("airflow") is None:
        pytest.skip("Apache Airflow is not installed in this environment (it comes with the DAGs)")
    root = tmp_path_factory.mktemp("airflow")
    home = root / "ecomlab"
    home.mkdir()
    mart = Mart(f"sqlite:///{home / 'mart.sqlite'}")
    plant(mart)
    mart.dispose()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "viewer:admin",
        "AIRFLOW__API__WORKERS": "1",
        "ECOMLAB_HOME": str(home),
        "ECOMLAB_PROFILE": "embedded",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    port = free_port()
    log = (root / "api-server.log").open("w")
    args = [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the API server did not start:\n{(root / 'api-server.log').read_text()[-3000:]}")
            time.sleep(1)
        passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        import json

        password = json.loads(passwords.read_text())["viewer"]
        token = httpx.post(f"{url}/auth/token", json={"username": "viewer", "password": password}).json()
        yield url, token["access_token"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()


@pytest.mark.slow
def test_airflow_serves_the_dashboards_only_to_logged_in_users(api_server):
    url, token = api_server
    assert httpx.get(f"{url}/ecomlab/shop/rules").status_code == 401
    login = httpx.get(f"{url}/ecomlab/shop/rules", headers={"Accept": "text/html"})
    assert login.status_code == 303 and login.headers["location"].startswith("/auth/login")
    bearer = {"Authorization": f"Bearer {token}"}
    page = httpx.get(f"{url}/ecomlab/shop/rules", headers=bearer, timeout=120)  # the first request opens the mart
    assert page.status_code == 200 and 'data-chart="rules:graph"' in page.text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{url}/ecomlab/shop/rules", params={"start": "x"}, headers=bearer).status_code == 400
    assert httpx.post(f"{url}/ecomlab/shop/rules", headers=bearer).status_code == 405
    plugins = httpx.get(f"{url}/api/v2/plugins", headers=bearer).json()["plugins"]
    (ours,) = [p for p in plugins if p["name"] == "ecomlab_dashboards"]
    assert [(v["name"], v["href"]) for v in ours["external_views"]] == [("Dashboards", "/ecomlab/")]


@pytest.mark.slow
def test_the_airflow_ui_shows_the_dashboards_in_chromium(api_server, browser, artifacts):
    url, token = api_server
    cookies = [{"name": "_token", "value": token, "url": url}]
    report = browser.visit(f"{url}/ecomlab/shop/rules", artifacts / "airflow-rules.png", cookies=cookies)
    assert [m for m in report["console"] if m["type"] == "error"] == [] and report["errors"] == []
    charts = {chart["key"]: chart for chart in report["charts"]}
    assert shown(charts["rules:graph"]) == EXPECTED["rules"]["rules:graph"]
    assert all(u.startswith(url) or u.startswith("data:") for u in report["requests"])
    ui = browser.visit(
        f"{url}/plugin/ecomlab-dashboards", artifacts / "airflow-ui-dashboards.png", hover=False, frame="/ecomlab/"
    )
    (frame,) = [f for f in ui["frames"] if f["url"].startswith(f"{url}/ecomlab/")]
    assert "ecomlab dashboards" in frame["text"] and "Association rules" in frame["text"]
    assert ui["errors"] == []
