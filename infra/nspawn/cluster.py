"""Real nodes for provisioning tests: one systemd-nspawn container per Vagrant machine.

Each node is a debootstrapped Debian (systemd, sshd, python3) booted from an overlay of
one cached image, in a network namespace of its own. The nodes' veths meet on a bridge
inside a private "switch" namespace, which also serves a local apt repository and the
Python distributions over HTTP, and from which Ansible reaches the nodes over SSH.
The host's own network is never touched. Needs root, debootstrap and systemd-nspawn.

    python3 infra/nspawn/cluster.py up --workers 2      # boots master1, worker1, worker2
    python3 infra/nspawn/cluster.py down                # stops and removes everything
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / "var" / "nspawn"
IMAGE_CACHE = Path(os.environ.get("ECOMLAB_NODE_CACHE", STATE / "cache"))
MIRROR = os.environ.get("ECOMLAB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PREFIX = "ecl"  # namespace and interface names: short, and unlikely to clash
SWITCH_NS = f"{PREFIX}-switch"
BRIDGE = f"{PREFIX}br0"
HTTP_PORT = 8000
IMAGE_PACKAGES = "systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,iproute2,sudo,procps,ca-certificates"
# What the roles install with apt; downloaded with their dependencies into the local repository.
NODE_PACKAGES = [
    "openjdk-17-jre-headless", "zookeeper", "postgresql-15", "python3-psycopg2", "libpostgresql-jdbc-java",
    "python3-venv", "python3-pip", "curl", "tar", "gzip", "acl", "netcat-openbsd",
]  # fmt: skip


def log(message: str) -> None:
    print(f"[nspawn] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def sh(*argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, text=True, **kwargs)


@dataclass
class Node:
    name: str
    ip: str

    @property
    def netns(self) -> str:
        return f"{PREFIX}-{self.name}"

    @property
    def root(self) -> Path:
        return STATE / "nodes" / self.name


@dataclass
class Cluster:
    nodes: list[Node]
    gateway: str
    processes: dict[str, int] = field(default_factory=dict)

    # -- image and repository -------------------------------------------------------
    def image(self) -> Path:
        """The base image, debootstrapped once and reused (ECOMLAB_NODE_CACHE)."""
        image = IMAGE_CACHE / "image"
        if (image / ".complete").exists():
            return image
        shutil.rmtree(image, ignore_errors=True)
        image.parent.mkdir(parents=True, exist_ok=True)
        log(f"debootstrapping the node image into {image}")
        sh("debootstrap", "--variant=minbase", f"--include={IMAGE_PACKAGES}", "bookworm", str(image), MIRROR,
           stdout=subprocess.DEVNULL)  # fmt: skip
        (image / ".complete").touch()
        return image

    def apt_repository(self, image: Path) -> Path:
        """A flat apt repository with NODE_PACKAGES and every dependency the image lacks."""
        repo = IMAGE_CACHE / "serve" / "debian"
        if (repo / "Packages").exists():
            return repo
        repo.mkdir(parents=True, exist_ok=True)
        log("downloading the nodes' packages into the local apt repository")
        # A throw-away overlay of the image (a copy would try to read its device nodes).
        scratch = IMAGE_CACHE / "apt-scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        for part in ("upper", "work", "merged"):
            (scratch / part).mkdir(parents=True)
        root = scratch / "merged"
        sh("mount", "-t", "overlay", "overlay", "-o",
           f"lowerdir={image},upperdir={scratch / 'upper'},workdir={scratch / 'work'}", str(root))  # fmt: skip
        try:
            (root / "etc" / "resolv.conf").unlink(missing_ok=True)
            shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
            (root / "etc" / "apt" / "sources.list").write_text(f"deb {MIRROR} bookworm main\n")
            sh("chroot", str(root), "apt-get", "update", "-qq")
            sh("chroot", str(root), "apt-get", "install", "-y", "-qq", "--download-only", *NODE_PACKAGES,
               env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)  # fmt: skip
            for deb in (root / "var" / "cache" / "apt" / "archives").glob("*.deb"):
                shutil.copy(deb, repo / deb.name)
        finally:
            sh("umount", str(root), check=False)
            shutil.rmtree(scratch, ignore_errors=True)
        packages = sh("dpkg-scanpackages", "--multiversion", ".", cwd=repo, capture_output=True).stdout
        (repo / "Packages").write_text(packages)
        return repo

    def wheelhouse(self) -> Path:
        """The locked Python distributions (and the build tools for the sdists among them)."""
        wheels = IMAGE_CACHE / "serve" / "wheels"
        if (wheels / ".complete").exists():
            return wheels
        wheels.mkdir(parents=True, exist_ok=True)
        log("downloading the locked Python distributions")
        lock = REPO / "ansible" / "files" / "python" / "ecomlab.lock"
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d", str(wheels)]
        sh(*pip, "--require-hashes", "--no-deps", "-r", str(lock))
        tools = [line.split(" ")[0] for line in (REPO / "infra" / "provisioning" / "requirements.lock").read_text()
                 .splitlines() if line.startswith(("setuptools==", "wheel=="))]  # fmt: skip
        sh(*pip, "--no-deps", *tools)
        (wheels / ".complete").touch()
        return wheels

    # -- network ----------------------------------------------------------------------
    def network(self) -> None:
        sh("ip", "netns", "add", SWITCH_NS)
        sw = ("ip", "netns", "exec", SWITCH_NS)
        sh(*sw, "ip", "link", "set", "lo", "up")
        sh(*sw, "ip", "link", "add", BRIDGE, "type", "bridge")
        sh(*sw, "ip", "addr", "add", f"{self.gateway}/24", "dev", BRIDGE)
        sh(*sw, "ip", "link", "set", BRIDGE, "up")
        for i, node in enumerate(self.nodes):
            self.attach(node, i)

    def attach(self, node: Node, index: int) -> None:
        sh("ip", "netns", "add", node.netns)
        outside, inside = f"{PREFIX}v{index}", f"{PREFIX}n{index}"
        # Created inside the switch namespace, so no interface ever appears on the host.
        sw = ("ip", "netns", "exec", SWITCH_NS)
        sh(*sw, "ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        sh(*sw, "ip", "link", "set", inside, "netns", node.netns)
        sh(*sw, "ip", "link", "set", outside, "master", BRIDGE, "up")
        ns = ("ip", "netns", "exec", node.netns)
        sh(*ns, "ip", "link", "set", "lo", "up")
        sh(*ns, "ip", "link", "set", inside, "name", "eth0")
        sh(*ns, "ip", "addr", "add", f"{node.ip}/24", "dev", "eth0")
        sh(*ns, "ip", "link", "set", "eth0", "up")
        sh(*ns, "ip", "route", "add", "default", "via", self.gateway)

    def serve(self) -> None:
        """HTTP inside the switch namespace: the apt repository and the Python distributions."""
        served = IMAGE_CACHE / "serve"
        proc = subprocess.Popen(
            ["ip", "netns", "exec", SWITCH_NS, sys.executable, "-m", "http.server", str(HTTP_PORT),
             "--bind", self.gateway, "--directory", str(served)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.processes["http"] = proc.pid

    # -- nodes ------------------------------------------------------------------------
    def boot(self, node: Node, image: Path, public_key: str) -> None:
        for part in ("upper", "work", "merged"):
            (node.root / part).mkdir(parents=True, exist_ok=True)
        merged = node.root / "merged"
        sh("mount", "-t", "overlay", "overlay", "-o",
           f"lowerdir={image},upperdir={node.root / 'upper'},workdir={node.root / 'work'}", str(merged))  # fmt: skip
        (merged / "etc" / "hostname").write_text(f"{node.name}\n")
        (merged / "etc" / "hosts").write_text(f"127.0.0.1 localhost\n{node.ip} {node.name}\n")
        (merged / "etc" / "resolv.conf").unlink(missing_ok=True)
        (merged / "etc" / "resolv.conf").write_text("")
        (merged / "etc" / "apt" / "sources.list").write_text(
            f"deb [trusted=yes] http://{self.gateway}:{HTTP_PORT}/debian ./\n"
        )
        for listing in (merged / "etc" / "apt" / "sources.list.d").glob("*"):
            listing.unlink()
        # Forget the image's package lists, and look old, so the first apt task updates from the local repository.
        lists = merged / "var" / "lib" / "apt" / "lists"
        for entry in lists.glob("*"):
            if entry.is_file():
                entry.unlink()
        os.utime(lists, (0, 0))
        ssh_dir = merged / "root" / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        (ssh_dir / "authorized_keys").write_text(public_key)
        (ssh_dir / "authorized_keys").chmod(0o600)
        # Every node gets host keys of its own, not the image's.
        for key in (merged / "etc" / "ssh").glob("ssh_host_*"):
            key.unlink()
        sh("chroot", str(merged), "ssh-keygen", "-A", stdout=subprocess.DEVNULL)
        log_file = open(node.root / "console.log", "w")  # noqa: SIM115 - the container keeps it open
        proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{node.netns}", "systemd-nspawn", "--register=no", "--keep-unit",
             "-D", str(merged), "-M", node.name, "--boot"],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes[node.name] = proc.pid

    def wait_for_ssh(self, node: Node, key: Path, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = sh("ip", "netns", "exec", SWITCH_NS, "ssh", *ssh_options(key), f"root@{node.ip}", "true",
                        check=False, capture_output=True)  # fmt: skip
            if result.returncode == 0:
                return
            time.sleep(1)
        raise RuntimeError(f"{node.name} ({node.ip}) did not accept SSH within {timeout:.0f} s")

    def add(self, node: Node, key: Path) -> None:
        """Boots one more node on the running switch (add-node.yml's new worker)."""
        self.nodes.append(node)
        self.attach(node, len(self.nodes) - 1)
        self.boot(node, self.image(), Path(f"{key}.pub").read_text())
        self.wait_for_ssh(node, key)
        self.save()

    def save(self) -> None:
        data = {"nodes": [vars(n) for n in self.nodes], "gateway": self.gateway, "processes": self.processes}
        (STATE / "cluster.json").write_text(json.dumps(data))


def ssh_options(key: Path) -> list[str]:
    return ["-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=3", "-o", "BatchMode=yes"]  # fmt: skip


def controller_key() -> Path:
    key = STATE / "id_ed25519"
    if not key.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
    return key


def up(nodes: list[Node], gateway: str) -> Cluster:
    """Boots the nodes; on any failure everything created so far is removed again."""
    down()
    STATE.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(nodes=list(nodes), gateway=gateway)
    try:
        image = cluster.image()
        cluster.apt_repository(image)
        cluster.wheelhouse()
        key = controller_key()
        cluster.network()
        cluster.serve()
        cluster.save()
        for node in cluster.nodes:
            cluster.boot(node, image, Path(f"{key}.pub").read_text())
        cluster.save()
        for node in cluster.nodes:
            cluster.wait_for_ssh(node, key)
        log(f"nodes up: {', '.join(n.name for n in cluster.nodes)}")
        return cluster
    except BaseException:
        down()
        raise


def down() -> None:
    """Stops every container and server of the harness and removes mounts and namespaces."""
    state = STATE / "cluster.json"
    if state.exists():
        data = json.loads(state.read_text())
        for name, pid in data.get("processes", {}).items():
            try:
                # nspawn shuts its container down cleanly on SIGTERM; the HTTP server just stops.
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(60):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
            else:
                log(f"{name} did not stop, killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        state.unlink()
    nodes_dir = STATE / "nodes"
    if nodes_dir.exists():
        for node_root in nodes_dir.iterdir():
            merged = node_root / "merged"
            if os.path.ismount(merged):
                sh("umount", "-l", str(merged), check=False)
        shutil.rmtree(nodes_dir, ignore_errors=True)
    existing = sh("ip", "netns", "list", capture_output=True).stdout.split()
    for name in existing:
        if name.startswith(f"{PREFIX}-"):
            sh("ip", "netns", "delete", name, check=False)


def vagrant_nodes(**env: str) -> tuple[list[Node], dict[str, list[str]]]:
    """Machines, addresses and Ansible groups from the Vagrantfile, as Vagrant loads it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMLAB_")} | env
    out = sh("ruby", str(REPO / "infra" / "vagrant" / "machines.rb"), str(REPO), env=full_env,
             capture_output=True).stdout  # fmt: skip
    machines = json.loads(out)
    groups = next(p for m in machines for p in m["ansible"])["groups"]
    return [Node(m["name"], m["ips"][0]) for m in machines], groups


def write_inventory(path: Path, nodes: list[Node], groups: dict[str, list[str]], key: Path,
                    skip_groups: tuple[str, ...] = ()) -> None:  # fmt: skip
    """An Ansible inventory (YAML is JSON) for the booted nodes, with the Vagrantfile's groups."""
    inventory = {
        "all": {
            "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": str(key),
                     "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"},
            "hosts": {n.name: {"ansible_host": n.ip, "node_ip": n.ip} for n in nodes},
            "children": {g: {"hosts": {h: {} for h in hosts}} for g, hosts in groups.items() if g not in skip_groups},
        }
    }  # fmt: skip
    path.write_text(json.dumps(inventory, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="boot one node per Vagrant machine")
    start.add_argument("--workers", default="2")
    start.add_argument("--masters", default="1")
    sub.add_parser("down", help="stop and remove every node")
    args = parser.parse_args()
    if args.command == "down":
        down()
        return
    nodes, groups = vagrant_nodes(ECOMLAB_WORKERS=args.workers, ECOMLAB_MASTERS=args.masters)
    up(nodes, gateway=nodes[0].ip.rsplit(".", 1)[0] + ".1")
    write_inventory(STATE / "inventory.json", nodes, groups, controller_key())
    print(STATE / "inventory.json")


if __name__ == "__main__":
    main()
