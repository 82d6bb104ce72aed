"""Configuration files and units of the roles whose software cannot run on this machine.

HDFS, YARN and Apache Hive's HiveServer2 need release tarballs that no reachable registry
serves, so their daemons are not started in any test here; render-config.yml writes what
the roles would put on every node, and these tests read those files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .tools import run, tool


def render(inventory: str, target: Path) -> Path:
    argv = [tool("ansible-playbook"), "-i", f"inventory/{inventory}", "render-config.yml", "-e", f"render_dir={target}"]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def properties(path: Path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {p.findtext("name"): p.findtext("value") for p in root.iter("property")}


@pytest.fixture(scope="module")
def ha(tmp_path_factory) -> Path:
    return render("vagrant-ha.yml", tmp_path_factory.mktemp("render-ha"))


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    return render("vagrant.yml", tmp_path_factory.mktemp("render-single"))


def test_three_masters_configure_namenode_ha_with_journalnodes_and_zkfc(ha):
    hdfs = properties(ha / "master1" / "etc" / "hadoop" / "hdfs-site.xml")
    core = properties(ha / "master1" / "etc" / "hadoop" / "core-site.xml")
    assert core["fs.defaultFS"] == "hdfs://ecomlab"
    assert core["ha.zookeeper.quorum"] == "192.168.56.11:2181,192.168.56.12:2181,192.168.56.13:2181"
    assert hdfs["dfs.nameservices"] == "ecomlab"
    assert hdfs["dfs.ha.namenodes.ecomlab"] == "master1,master2"
    assert hdfs["dfs.namenode.rpc-address.ecomlab.master2"] == "192.168.56.12:8020"
    assert hdfs["dfs.namenode.shared.edits.dir"] == (
        "qjournal://192.168.56.11:8485;192.168.56.12:8485;192.168.56.13:8485/ecomlab"
    )
    assert hdfs["dfs.ha.automatic-failover.enabled"] == "true"
    assert hdfs["dfs.replication"] == "3"
    # Every node gets the same client view of the nameservice (the exclude file's path is per render).
    worker = properties(ha / "worker3" / "etc" / "hadoop" / "hdfs-site.xml")
    assert {k: v for k, v in worker.items() if k != "dfs.hosts.exclude"} == {
        k: v for k, v in hdfs.items() if k != "dfs.hosts.exclude"
    }


def test_three_masters_configure_resourcemanager_ha(ha):
    yarn = properties(ha / "worker1" / "etc" / "hadoop" / "yarn-site.xml")
    assert yarn["yarn.resourcemanager.ha.enabled"] == "true"
    assert yarn["yarn.resourcemanager.ha.rm-ids"] == "master2,master3"
    assert yarn["yarn.resourcemanager.hostname.master3"] == "192.168.56.13"
    assert yarn["yarn.resourcemanager.store.class"].endswith("ZKRMStateStore")


def test_each_node_gets_the_units_of_its_daemons(ha):
    def units(node):
        return sorted(p.name for p in (ha / node / "units").iterdir())

    assert units("master1") == ["hadoop-journalnode.service", "hadoop-namenode.service", "hadoop-zkfc.service"]
    assert units("master2") == [
        "hadoop-journalnode.service",
        "hadoop-namenode.service",
        "hadoop-resourcemanager.service",
        "hadoop-zkfc.service",
    ]
    assert units("worker2") == ["hadoop-datanode.service", "hadoop-nodemanager.service"]
    unit = (ha / "master1" / "units" / "hadoop-zkfc.service").read_text()
    assert "ExecStart=/opt/hadoop/current/bin/hdfs zkfc" in unit
    assert "User=hdfs" in unit
    nodemanager = (ha / "worker2" / "units" / "hadoop-nodemanager.service").read_text()
    assert "ExecStart=/opt/hadoop/current/bin/yarn nodemanager" in nodemanager


def test_one_master_has_a_single_namenode_without_ha(single):
    hdfs = properties(single / "master1" / "etc" / "hadoop" / "hdfs-site.xml")
    core = properties(single / "worker1" / "etc" / "hadoop" / "core-site.xml")
    yarn = properties(single / "worker1" / "etc" / "hadoop" / "yarn-site.xml")
    assert core["fs.defaultFS"] == "hdfs://192.168.56.11:8020"
    assert "dfs.nameservices" not in hdfs and "dfs.ha.automatic-failover.enabled" not in hdfs
    assert hdfs["dfs.replication"] == "2"
    assert yarn["yarn.resourcemanager.hostname"] == "192.168.56.11"
    assert "yarn.resourcemanager.ha.enabled" not in yarn
    assert sorted(p.name for p in (single / "master1" / "units").iterdir()) == [
        "hadoop-namenode.service", "hadoop-resourcemanager.service", "hiveserver2.service",
    ]  # fmt: skip
    workers = (single / "master1" / "etc" / "hadoop" / "workers").read_text().split()
    assert workers == ["192.168.56.21", "192.168.56.22"]


def test_hiveserver2_registers_in_zookeeper(ha):
    hive = properties(ha / "master3" / "etc" / "hive" / "hive-site.xml")
    assert hive["hive.server2.support.dynamic.service.discovery"] == "true"
    assert hive["hive.zookeeper.quorum"] == "192.168.56.11:2181,192.168.56.12:2181,192.168.56.13:2181"
    assert hive["hive.server2.zookeeper.namespace"] == "hiveserver2"
    assert hive["hive.metastore.uris"] == "thrift://192.168.56.11:9083"
    assert hive["hive.server2.thrift.bind.host"] == "192.168.56.13"
    unit = (ha / "master3" / "units" / "hiveserver2.service").read_text()
    assert "ExecStart=/opt/hive/current/bin/hive --service hiveserver2" in unit
    assert not (ha / "master1" / "etc" / "hive" / "hive-site.xml").exists()
