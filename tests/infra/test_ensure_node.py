"""infra/scripts/ensure-node.sh (npm installs ECharts for the dashboards), on fake tools in a private PATH."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "scripts" / "ensure-node.sh"


def run(tmp_path: Path, present: list[str]) -> subprocess.CompletedProcess:
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("id", "bash"):
        target = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True).stdout.strip()
        (tools / name).symlink_to(target)
    for name in present:
        (tools / name).write_text("#!/bin/sh\necho fake\n")
        (tools / name).chmod(0o755)
    (tools / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n')
    (tools / "apt-get").chmod(0o755)
    env = {"PATH": str(tools), "HOME": str(tmp_path)}
    return subprocess.run([str(tools / "bash"), str(SCRIPT)], env=env, capture_output=True, text=True)


def test_nothing_is_installed_when_node_and_npm_are_there(tmp_path):
    result = run(tmp_path, ["node", "npm"])
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_a_missing_npm_is_installed_with_apt_and_checked(tmp_path):
    result = run(tmp_path, ["node"])
    assert "install" in (tmp_path / "apt.log").read_text() and "npm" in (tmp_path / "apt.log").read_text()
    # The fake apt installs nothing, so the final check fails the script with a message.
    assert result.returncode == 1 and "npm is still missing" in result.stderr
