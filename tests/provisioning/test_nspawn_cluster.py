"""site.yml on real nodes: one systemd-nspawn container per Vagrant machine (1 master, 2 workers).

Every role whose software this machine can obtain runs for real (common, java, ZooKeeper,
PostgreSQL, the shared Python environment with Spark and the Hive metastore jars, Dask,
Airflow, ecomlab). HDFS, YARN and HiveServer2 need Apache release tarballs that cannot be
downloaded here: their groups are left out of this inventory (their files are checked in
test_render_config.py), so Spark runs as a standalone cluster. Needs root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time

import pytest

from .tools import ANSIBLE_DIR, REPO, ansible_env, tool

pytestmark = [pytest.mark.slow, pytest.mark.nodes]
UNAVAILABLE_GROUPS = ("namenode", "journalnode", "datanode", "resourcemanager", "nodemanager", "hiveserver2")


def load_harness():
    spec = importlib.util.spec_from_file_location("nspawn_cluster", REPO / "infra" / "nspawn" / "cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


harness = load_harness()


class Provisioned:
    def __init__(self, tmp_path, cluster, key, groups):
        self.tmp = tmp_path
        self.cluster = cluster
        self.key = key
        self.groups = groups
        self.inventory = tmp_path / "inventory.json"
        self.extra = tmp_path / "extra.json"
        self.vault_password = tmp_path / "vault-password"
        self.write_inventory()

    def write_inventory(self):
        harness.write_inventory(self.inventory, self.cluster.nodes, self.groups, self.key, UNAVAILABLE_GROUPS)

    def playbook(self, name: str, *extra: str) -> subprocess.CompletedProcess:
        argv = [tool("ansible-playbook"), "-i", str(self.inventory), "-e", f"@{self.extra}",
                "--vault-password-file", str(self.vault_password), *extra, name]  # fmt: skip
        result = subprocess.run(
            ["ip", "netns", "exec", harness.SWITCH_NS, *argv],
            cwd=ANSIBLE_DIR, env=ansible_env(), capture_output=True, text=True, timeout=2400,
        )  # fmt: skip
        (self.tmp / f"{name}.{int(time.time())}.log").write_text(result.stdout + result.stderr)
        return result

    def ssh(self, node: str, command: str) -> subprocess.CompletedProcess:
        ip = next(n.ip for n in self.cluster.nodes if n.name == node)
        return subprocess.run(
            ["ip", "netns", "exec", harness.SWITCH_NS, "ssh", *harness.ssh_options(self.key), f"root@{ip}", command],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip


def recap(output: str) -> dict[str, dict[str, int]]:
    return {
        m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        for m in re.finditer(r"^(\S+)\s+: (ok=.*)$", output, re.M)
    }


@pytest.fixture(scope="session")
def provisioned(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the node harness needs root (systemd-nspawn, network namespaces, overlay mounts)")
    tmp = tmp_path_factory.mktemp("nspawn")
    nodes, groups = harness.vagrant_nodes(ECOMLAB_WORKERS="2")
    cluster = harness.up(nodes, gateway=nodes[0].ip.rsplit(".", 1)[0] + ".1")
    try:
        env = Provisioned(tmp, cluster, harness.controller_key(), groups)
        # Secrets as an admin keeps them: an ansible-vault file, encrypted, with a password file.
        env.vault_password.write_text("test-only-vault-password\n")
        vault = tmp / "vault.yml"
        secrets = {f"vault_{k}": f"{k}-{os.urandom(6).hex()}" for k in (
            "postgres_admin_password", "metastore_db_password", "airflow_db_password",
            "airflow_admin_password", "airflow_secret_key", "ecomlab_mart_password")}  # fmt: skip
        vault.write_text(json.dumps(secrets))
        subprocess.run([tool("ansible-vault"), "encrypt", "--vault-password-file", str(env.vault_password), str(vault)],
                       check=True, capture_output=True, env=ansible_env())  # fmt: skip
        served = f"http://{cluster.gateway}:{harness.HTTP_PORT}"
        env.extra.write_text(json.dumps({"python_env_find_links": f"{served}/wheels/"}))
        env.first = env.playbook("site.yml", "-e", f"@{vault}")
        env.vault = vault
        yield env
    finally:
        harness.down()


def test_site_yml_provisions_every_node(provisioned):
    result = provisioned.first
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert set(recap(result.stdout)) == {"master1", "worker1", "worker2"}


def test_a_second_run_changes_nothing(provisioned):
    second = provisioned.playbook("site.yml", "-e", f"@{provisioned.vault}")
    assert second.returncode == 0, second.stdout[-6000:]
    changed = {host: counts["changed"] for host, counts in recap(second.stdout).items()}
    assert changed == {"master1": 0, "worker1": 0, "worker2": 0}, second.stdout[-6000:]


def test_smoke_test_passes_with_a_spark_job_across_the_workers(provisioned):
    result = provisioned.playbook("smoke-test.yml", "-e", f"@{provisioned.vault}")
    assert result.returncode == 0, result.stdout[-6000:]
    line = re.search(r"SMOKE_RESULT (\{.*\})", result.stdout.replace('\\"', '"'))
    assert line, result.stdout[-3000:]
    spark = json.loads(line.group(1))
    assert spark["executor_hosts"] == ["worker1", "worker2"]
    assert spark["sum"] == 50005000
    assert "probe" in spark["tables"]
    assert "AIRFLOW_HEALTH" in result.stdout


def test_the_metastore_answers_from_another_node(provisioned):
    probe = "import socket; s = socket.create_connection(('192.168.56.11', 9083), 5); print('open')"
    result = provisioned.ssh("worker1", f'/opt/ecomlab/bin/python -c "{probe}"')
    assert result.stdout.strip() == "open", result.stderr


def test_zookeeper_quorum_survives_the_loss_of_its_leader(provisioned):
    members = {"master1": "192.168.56.11", "worker1": "192.168.56.21", "worker2": "192.168.56.22"}

    def modes(hosts):
        found = {}
        for host in hosts:
            out = provisioned.ssh(host, f"echo srvr | nc -q 2 {members[host]} 2181").stdout
            found[host] = next((line.split(": ")[1] for line in out.splitlines() if line.startswith("Mode: ")), None)
        return found

    before = modes(members)
    assert sorted(before.values()) == ["follower", "follower", "leader"], before
    leader = next(h for h, m in before.items() if m == "leader")
    assert provisioned.ssh(leader, "systemctl stop zookeeper").returncode == 0
    try:
        survivors = [h for h in members if h != leader]
        after = {}
        for _ in range(30):
            after = modes(survivors)
            if sorted(after.values()) == ["follower", "leader"]:
                break
            time.sleep(1)
        assert sorted(after.values()) == ["follower", "leader"], after
    finally:
        provisioned.ssh(leader, "systemctl start zookeeper")


def test_add_node_joins_a_worker_that_spark_and_dask_see(provisioned):
    new = harness.Node("worker3", "192.168.56.23")
    provisioned.cluster.add(new, provisioned.key)
    for group in ("spark_worker", "dask_worker", "workers", "datanode", "nodemanager"):
        provisioned.groups[group] = [*provisioned.groups[group], "worker3"]
    provisioned.write_inventory()

    result = provisioned.playbook("add-node.yml", "-e", f"@{provisioned.vault}", "-e", "node=worker3")
    assert result.returncode == 0, result.stdout[-6000:]

    spark = provisioned.ssh("master1", "curl -s http://192.168.56.11:8090/json/")
    workers = {w["host"] for w in json.loads(spark.stdout)["workers"] if w["state"] == "ALIVE"}
    assert workers == {"192.168.56.21", "192.168.56.22", "192.168.56.23"}
    dask = provisioned.ssh(
        "master1",
        '/opt/ecomlab/bin/python -c "from distributed import Client; '
        "c = Client('tcp://192.168.56.11:8786', timeout=30); "
        "print(sorted(w['name'] for w in c.scheduler_info()['workers'].values()))\"",
    )
    assert dask.stdout.strip() == "['worker1', 'worker2', 'worker3']", dask.stderr[-2000:]
