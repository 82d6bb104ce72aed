"""ansible-lint (production profile) and Ansible's own syntax check of every playbook."""

from __future__ import annotations

import pytest

from .tools import ANSIBLE_DIR, run, tool

PLAYBOOKS = sorted(p.name for p in ANSIBLE_DIR.glob("*.yml"))


def test_every_operation_has_a_playbook():
    expected = {"site.yml", "add-node.yml", "decommission-node.yml", "smoke-test.yml", "status.yml"}
    assert expected <= set(PLAYBOOKS)


def test_ansible_lint_passes_with_the_production_profile():
    result = run([tool("ansible-lint"), "--profile", "production", "--offline", "--nocolor", "--format", "pep8"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("inventory", ["vagrant.yml", "vagrant-ha.yml"])
@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_passes_the_syntax_check(playbook, inventory):
    argv = [tool("ansible-playbook"), "--syntax-check", "-i", f"inventory/{inventory}", "-e", "node=worker1", playbook]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_role_validates_its_arguments_and_has_defaults():
    roles = sorted(p for p in (ANSIBLE_DIR / "roles").iterdir() if p.is_dir())
    assert len(roles) >= 10
    for role in roles:
        assert (role / "meta" / "argument_specs.yml").is_file(), f"{role.name} has no meta/argument_specs.yml"
        assert (role / "tasks" / "main.yml").is_file(), f"{role.name} has no tasks/main.yml"
