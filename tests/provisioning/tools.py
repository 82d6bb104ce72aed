"""Paths and runners for the provisioning tools (Vagrant, Ansible) used by these tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
TOOLS_VENV = REPO / ".venv-provisioning"
INSTALL_HINT = "run infra/scripts/ensure-provisioning-tools.sh (make test does)"


def tool(name: str) -> str:
    """A provisioning tool: Ansible's from the tools venv, Vagrant and Ruby from PATH."""
    path = TOOLS_VENV / "bin" / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return found


def ansible_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(Path(os.environ.get("TMPDIR", "/tmp")) / "ecomlab-ansible-tmp"),
            "PATH": f"{TOOLS_VENV / 'bin'}:{env.get('PATH', '')}",
        }
    )
    env.update(extra)
    return env


def run(argv: list[str], *, cwd: Path = ANSIBLE_DIR, env: dict[str, str] | None = None, timeout: int = 600):
    return subprocess.run(argv, cwd=cwd, env=env or ansible_env(), capture_output=True, text=True, timeout=timeout)


def vagrant_machines(vagrantfile_dir: Path = REPO, **env: str) -> list[dict]:
    """The Vagrantfile's machines as Vagrant itself loads them (infra/vagrant/machines.rb)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMLAB_")}
    full_env.update(env)
    result = subprocess.run(
        [tool("ruby"), str(REPO / "infra" / "vagrant" / "machines.rb"), str(vagrantfile_dir)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def inventory_groups(inventory: Path) -> tuple[dict[str, list[str]], dict[str, dict]]:
    """Groups (without the implicit ones) and host variables as Ansible reads the inventory."""
    result = run([tool("ansible-inventory"), "-i", str(inventory), "--list"])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    hostvars = data["_meta"]["hostvars"]
    groups = {
        name: sorted(body.get("hosts", []))
        for name, body in data.items()
        if name not in ("_meta", "all", "ungrouped") and isinstance(body, dict)
    }
    return groups, hostvars
