"""Run an install script with a private PATH of real and fake tools (no real apt install)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def fake_tool(tools: Path, name: str, script: str) -> None:
    path = tools / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def private_tools(tmp_path: Path, real: tuple[str, ...], fakes: dict[str, str], recording_apt: bool) -> Path:
    """A bin directory with links to the `real` tools, the `fakes` (name -> shell body), and an
    apt-get that only appends its arguments to tmp_path/apt.log."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in real:
        target = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True).stdout.strip()
        (tools / name).symlink_to(target)
    for name, body in fakes.items():
        fake_tool(tools, name, body)
    if recording_apt:
        fake_tool(tools, "apt-get", f'echo "$@" >> {tmp_path}/apt.log\n')
    return tools


def run_script(script: Path, tools: Path, home: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": str(tools), "HOME": str(home), **env}
    return subprocess.run([str(tools / "bash"), str(script)], env=environment, capture_output=True, text=True)


def run_with_tools_present(script: Path, tmp_path: Path, present: list[str]) -> subprocess.CompletedProcess:
    """Run `script` where only `present` (fakes) and the shell basics are on PATH, apt-get recording."""
    tools = private_tools(tmp_path, ("id", "bash"), dict.fromkeys(present, "echo fake\n"), recording_apt=True)
    return run_script(script, tools, tmp_path)
