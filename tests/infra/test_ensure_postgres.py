"""infra/scripts/ensure-postgres.sh on fake tools: apt is reached only through a stand-in that
records its arguments (installing packages for real is not something a test may do)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from script_sandbox import private_tools, run_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "scripts" / "ensure-postgres.sh"


def run(tmp_path: Path, server: bool, jdbc: bool, with_apt: bool) -> subprocess.CompletedProcess:
    tools = private_tools(tmp_path, ("ls", "id", "bash", "cat", "sh"), {}, recording_apt=with_apt)
    lib, jar = tmp_path / "pglib", tmp_path / "postgresql.jar"
    if server:
        (lib / "15" / "bin").mkdir(parents=True)
        (lib / "15" / "bin" / "postgres").write_text("")
    if jdbc:
        jar.write_text("")
    return run_script(SCRIPT, tools, tmp_path, PG_LIB=str(lib), JDBC_JAR=str(jar))


def test_an_installed_server_and_driver_need_nothing(tmp_path):
    result = run(tmp_path, server=True, jdbc=True, with_apt=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_a_missing_driver_is_installed_with_apt(tmp_path):
    result = run(tmp_path, server=True, jdbc=False, with_apt=True)
    log = (tmp_path / "apt.log").read_text()
    assert "install -y -qq postgresql libpostgresql-jdbc-java" in log.replace("\\\n", "")
    assert "DPkg::Lock::Timeout" in log  # waits for another apt run instead of failing
    assert result.returncode == 1  # the stand-in installed nothing, and the script checks that


def test_without_apt_the_error_says_what_to_install(tmp_path):
    result = run(tmp_path, server=False, jdbc=False, with_apt=False)
    assert result.returncode == 1
    assert "apt-get is not available; install PostgreSQL" in result.stderr
