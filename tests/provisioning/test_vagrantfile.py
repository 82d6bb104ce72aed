"""The Vagrantfile, loaded by Vagrant itself, against the committed Ansible inventories."""

from __future__ import annotations

import shutil

import pytest
import yaml

from .tools import ANSIBLE_DIR, REPO, inventory_groups, run, tool, vagrant_machines

INVENTORIES = {
    "vagrant.yml": {},
    "vagrant-ha.yml": {"ECOMLAB_MASTERS": "3", "ECOMLAB_WORKERS": "3"},
}


@pytest.mark.parametrize("env", [{}, {"ECOMLAB_MASTERS": "3", "ECOMLAB_WORKERS": "3"}], ids=["default", "ha"])
def test_vagrant_validates_the_vagrantfile(env):
    result = run([tool("vagrant"), "validate", "-p"], cwd=REPO, env={**_clean_env(), **env})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully" in result.stdout


@pytest.mark.parametrize("inventory", sorted(INVENTORIES))
def test_machines_addresses_and_groups_match_the_inventory(inventory):
    machines = vagrant_machines(**INVENTORIES[inventory])
    groups, hostvars = inventory_groups(ANSIBLE_DIR / "inventory" / inventory)

    assert sorted(m["name"] for m in machines) == sorted(hostvars)
    for machine in machines:
        assert machine["hostname"] == f"{machine['name']}.ecomlab.test"
        assert machine["ips"] == [hostvars[machine["name"]]["node_ip"]]

    provisioners = [p for m in machines for p in m["ansible"]]
    assert len(provisioners) == 1, "exactly one machine runs the Ansible provisioner, for all machines"
    provisioner = provisioners[0]
    assert provisioner["playbook"] == "ansible/site.yml"
    assert provisioner["limit"] == "all"
    # Ansible lists no empty group (e.g. journalnode without HA); Vagrant writes them empty.
    vagrant_groups = {name: sorted(hosts) for name, hosts in provisioner["groups"].items() if hosts}
    assert vagrant_groups == groups
    assert {name: v["node_ip"] for name, v in provisioner["host_vars"].items()} == {
        name: v["node_ip"] for name, v in hostvars.items()
    }


def test_the_inventory_has_every_service_group():
    declared = yaml.safe_load((ANSIBLE_DIR / "inventory" / "vagrant.yml").read_text())["all"]["children"]
    groups, _ = inventory_groups(ANSIBLE_DIR / "inventory" / "vagrant.yml")
    expected = {
        "zookeeper", "namenode", "journalnode", "datanode", "resourcemanager", "nodemanager",
        "hive_metastore", "hiveserver2", "spark_history", "postgres", "airflow", "dask_scheduler",
        "dask_worker", "edge",
    }  # fmt: skip
    assert expected <= set(declared)
    # One master: a single NameNode and no JournalNodes; ZooKeeper still has three members.
    assert groups["namenode"] == ["master1"]
    assert groups.get("journalnode", []) == []
    assert len(groups["zookeeper"]) == 3


def test_three_masters_give_namenode_ha():
    groups, _ = inventory_groups(ANSIBLE_DIR / "inventory" / "vagrant-ha.yml")
    assert groups["namenode"] == ["master1", "master2"]
    assert groups["journalnode"] == ["master1", "master2", "master3"]
    assert groups["zookeeper"] == ["master1", "master2", "master3"]
    assert groups["datanode"] == ["worker1", "worker2", "worker3"]


def test_sizes_come_from_the_environment_over_vagrant_yml(tmp_path):
    shutil.copy(REPO / "Vagrantfile", tmp_path / "Vagrantfile")
    (tmp_path / "vagrant.yml").write_text("workers: 4\nworker_memory: 2048\ncpus: 3\n")

    from_file = vagrant_machines(tmp_path)
    assert [m["name"] for m in from_file] == ["master1", "worker1", "worker2", "worker3", "worker4"]
    worker = from_file[1]["providers"]
    assert worker["libvirt"] == {"memory": 2048, "cpus": 3}
    assert worker["virtualbox"]["memory"] == 2048 and worker["virtualbox"]["cpus"] == 3

    from_env = vagrant_machines(tmp_path, ECOMLAB_WORKERS="1", ECOMLAB_MASTER_MEMORY="6144")
    assert [m["name"] for m in from_env] == ["master1", "worker1"]
    assert from_env[0]["providers"]["libvirt"]["memory"] == 6144
    # With two machines ZooKeeper runs a single server, not an even ensemble.
    groups = next(p for m in from_env for p in m["ansible"])["groups"]
    assert groups["zookeeper"] == ["master1"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"ECOMLAB_MASTERS": "2"}, "ECOMLAB_MASTERS must be 1 or 3, got 2"),
        ({"ECOMLAB_WORKERS": "many"}, "ECOMLAB_WORKERS (or workers in vagrant.yml) must be an integer"),
        ({"ECOMLAB_NETWORK": "10.0"}, "ECOMLAB_NETWORK must be three octets"),
    ],
)
def test_a_bad_size_is_a_clear_error(setting, message):
    result = run([tool("vagrant"), "validate", "-p"], cwd=REPO, env={**_clean_env(), **setting})
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_unknown_keys_in_vagrant_yml_are_named(tmp_path):
    shutil.copy(REPO / "Vagrantfile", tmp_path / "Vagrantfile")
    (tmp_path / "vagrant.yml").write_text("wokers: 4\n")
    result = run([tool("vagrant"), "validate", "-p"], cwd=tmp_path, env=_clean_env())
    assert result.returncode != 0
    assert "unknown settings wokers" in result.stdout + result.stderr


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ECOMLAB_")}
