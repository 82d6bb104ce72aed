"""The install scripts behind `make run` and `make test`, on fake tools in a private PATH.

Installing a JDK with apt for real is not something a test may do to the machine, so
the apt step is only reached with a stand-in `apt-get` that records its arguments.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from script_sandbox import private_tools, run_script

REPO = Path(__file__).resolve().parents[2]
ENSURE_JAVA = REPO / "infra" / "scripts" / "ensure-java.sh"


def run_ensure_java(tmp_path: Path, java_version: str | None, with_apt: bool) -> subprocess.CompletedProcess:
    fakes = {} if java_version is None else {"java": f"echo 'openjdk version \"{java_version}\" 2025-04-15' >&2\n"}
    tools = private_tools(tmp_path, ("awk", "id", "sh", "bash", "cat"), fakes, recording_apt=with_apt)
    return run_script(ENSURE_JAVA, tools, tmp_path)


def test_java_17_is_accepted_without_installing(tmp_path):
    result = run_ensure_java(tmp_path, "17.0.15", with_apt=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_old_java_triggers_an_apt_install_of_java_17(tmp_path):
    result = run_ensure_java(tmp_path, "1.8.0_392", with_apt=True)
    log = (tmp_path / "apt.log").read_text() if (tmp_path / "apt.log").exists() else ""
    assert "install -y -qq openjdk-17-jre-headless" in log, result.stderr
    assert "installing openjdk-17-jre-headless" in result.stderr


def test_missing_java_without_apt_is_a_clear_error(tmp_path):
    result = run_ensure_java(tmp_path, None, with_apt=False)
    assert result.returncode == 1
    assert "apt-get is not available" in result.stderr


def test_the_checkout_venv_has_the_locked_versions():
    """What bootstrap-venv.sh installed matches requirements.lock, pin for pin."""
    from importlib.metadata import version

    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, pinned = line.split("==", 1)
            pins[name.strip()] = pinned.split()[0]
    assert pins, "requirements.lock pins nothing"
    for name in ("pyspark", "pydantic", "pandas", "pyarrow", "hdfs", "typer"):
        assert version(name) == pins[name], name
