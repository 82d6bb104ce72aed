"""`ecomlab dashboard export` and `ecomlab dashboard serve`, run as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dashboard_planted import plant, write_catalog

from ecomlab.mart import Mart

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


@pytest.fixture
def home(tmp_path):
    mart = Mart(f"sqlite:///{tmp_path / 'mart.sqlite'}")
    plant(mart)
    mart.dispose()
    write_catalog(tmp_path / "catalog.yaml")
    return tmp_path


def ecomlab(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "ECOMLAB_HOME": str(home), "ECOMLAB_PROFILE": "embedded", "COLUMNS": "200"}
    result = subprocess.run([str(BIN / "ecomlab"), *args], env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode:
        pytest.fail(f"ecomlab {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def test_export_prints_the_index_page(home):
    out = home / "dashboards"
    result = ecomlab(
        home, "dashboard", "export", str(out), "--catalog", str(home / "catalog.yaml"), "--start", "2026-11-02"
    )
    assert f"dashboards: {out / 'index.html'}" in result.stdout
    assert "12 pages for shop" in result.stdout
    assert "2026-11-01" not in (out / "shop" / "overview.html").read_text().split("<main", 1)[1].split("</main>")[0]


def test_export_refuses_a_bad_date_and_a_bad_catalog(home):
    result = ecomlab(home, "dashboard", "export", str(home / "x"), "--start", "2026-02-30", check=False)
    assert result.returncode == 1 and "start: '2026-02-30' is not a date" in result.stderr
    assert not (home / "x").exists()
    result = ecomlab(home, "dashboard", "export", str(home / "x"), "--catalog", str(home / "none.yaml"), check=False)
    assert result.returncode == 1 and "none.yaml does not exist" in result.stderr


def test_serve_answers_on_loopback_until_stopped(home):
    env = {**os.environ, "ECOMLAB_HOME": str(home), "ECOMLAB_PROFILE": "embedded"}
    args = [str(BIN / "ecomlab"), "dashboard", "serve", "--port", "0", "--catalog", str(home / "catalog.yaml")]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while not line.startswith("listening "):
            line = process.stdout.readline()
            assert line, process.stderr.read()
        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/shop/overview").status_code == 200
        assert httpx.get(f"{url}/shop/overview", params={"end": "soon"}).status_code == 400
        assert httpx.post(f"{url}/shop/overview").status_code == 405
    finally:
        process.terminate()
        process.wait(timeout=20)
    refused = ecomlab(home, "dashboard", "serve", "--host", "0.0.0.0", check=False)
    assert refused.returncode == 1 and "loopback only" in refused.stderr
