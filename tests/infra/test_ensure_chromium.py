"""infra/scripts/ensure-chromium.sh on fake tools in a private PATH (no real apt install)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "scripts" / "ensure-chromium.sh"


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


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    result = run(tmp_path, ["chromium", "node", "npm"])
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_only_what_is_missing_is_installed_with_apt(tmp_path):
    result = run(tmp_path, ["node", "npm"])
    log = (tmp_path / "apt.log").read_text()
    assert "install" in log and "chromium" in log and "nodejs" not in log
    # The fake apt installs nothing, so the final check that chromium runs fails the script.
    assert result.returncode != 0
