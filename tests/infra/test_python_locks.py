"""The cluster's Python environment (ansible/files/python/ecomlab.lock) has the versions the
project is tested with (requirements.lock), and every distribution in it is hash-checked."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_the_cluster_lock_pins_what_the_project_is_tested_with():
    project = _pins(REPO / "requirements.lock")
    cluster = _pins(REPO / "ansible" / "files" / "python" / "ecomlab.lock")
    runtime = {name for name in project if name not in {"pytest", "ruff", "duckdb", "pytest-timeout"}}
    differ = {n: (project[n], cluster[n]) for n in runtime & cluster.keys() if project[n] != cluster[n]}
    assert not differ, f"regenerate ansible/files/python/ecomlab.lock (see ecomlab.in): {differ}"
    missing = sorted(n for n in ("pyspark", "apache-airflow", "sqlalchemy", "dask") if n not in cluster)
    assert not missing, f"the cluster lock lacks {missing}"


def test_every_cluster_distribution_is_hash_checked():
    text = (REPO / "ansible" / "files" / "python" / "ecomlab.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split("==")[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert not unhashed, f"distributions without a hash: {unhashed}"
