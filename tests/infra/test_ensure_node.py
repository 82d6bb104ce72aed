"""infra/scripts/ensure-node.sh (npm installs ECharts for the dashboards), on fake tools in a private PATH."""

from __future__ import annotations

import subprocess
from pathlib import Path

from script_sandbox import run_with_tools_present

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "scripts" / "ensure-node.sh"


def run(tmp_path: Path, present: list[str]) -> subprocess.CompletedProcess:
    return run_with_tools_present(SCRIPT, tmp_path, present)


def test_nothing_is_installed_when_node_and_npm_are_there(tmp_path):
    result = run(tmp_path, ["node", "npm"])
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_a_missing_npm_is_installed_with_apt_and_checked(tmp_path):
    result = run(tmp_path, ["node"])
    assert "install" in (tmp_path / "apt.log").read_text() and "npm" in (tmp_path / "apt.log").read_text()
    # The fake apt installs nothing, so the final check fails the script with a message.
    assert result.returncode == 1 and "npm is still missing" in result.stderr
