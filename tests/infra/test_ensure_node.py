"""infra/scripts/ensure-node.sh (npm installs ECharts for the dashboards), on fake tools in a private PATH."""

from __future__ import annotations

import subprocess
from pathlib import Path

from script_sandbox import private_tools, run_script

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "scripts" / "ensure-node.sh"


def run(tmp_path: Path, present: list[str]) -> subprocess.CompletedProcess:
    tools = private_tools(tmp_path, ("id", "bash"), dict.fromkeys(present, "echo fake\n"), recording_apt=True)
    return run_script(SCRIPT, tools, tmp_path)


def test_nothing_is_installed_when_node_and_npm_are_there(tmp_path):
    result = run(tmp_path, ["node", "npm"])
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_a_missing_npm_is_installed_with_apt_and_checked(tmp_path):
    result = run(tmp_path, ["node"])
    assert "install" in (tmp_path / "apt.log").read_text() and "npm" in (tmp_path / "apt.log").read_text()
    # The fake apt installs nothing, so the final check fails the script with a message.
    assert result.returncode == 1 and "npm is still missing" in result.stderr
