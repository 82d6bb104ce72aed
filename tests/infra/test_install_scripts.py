"""The install scripts behind `make run` and `make test`, on fake tools in a private PATH.

Installing a JDK with apt for real is not something a test may do to the machine, so
the apt step is only reached with a stand-in `apt-get` that records its arguments.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENSURE_JAVA = REPO / "infra" / "scripts" / "ensure-java.sh"


def fake_tool(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def run_ensure_java(tmp_path: Path, java_version: str | None, with_apt: bool) -> subprocess.CompletedProcess:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("awk", "id", "sh", "bash", "cat"):
        target = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True).stdout.strip()
        (tools / name).symlink_to(target)
    if java_version is not None:
        fake_tool(tools, "java", f"echo 'openjdk version \"{java_version}\" 2025-04-15' >&2\n")
    if with_apt:
        fake_tool(tools, "apt-get", f'echo "$@" >> {tmp_path}/apt.log\n')
    env = {"PATH": str(tools), "HOME": str(tmp_path)}
    return subprocess.run([str(tools / "bash"), str(ENSURE_JAVA)], env=env, capture_output=True, text=True)


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
