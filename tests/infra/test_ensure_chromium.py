"""infra/scripts/ensure-chromium.sh on fake tools in a private PATH (no real apt install)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from script_sandbox import run_with_tools_present

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "scripts" / "ensure-chromium.sh"


def run(tmp_path: Path, present: list[str]) -> subprocess.CompletedProcess:
    return run_with_tools_present(SCRIPT, tmp_path, present)


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
