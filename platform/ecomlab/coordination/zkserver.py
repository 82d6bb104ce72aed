"""A standalone ZooKeeper server from the jars that pyspark ships, on loopback (tests, `local` profile).

No separate ZooKeeper download is needed: pyspark's `jars/` folder holds the server
(`zookeeper-3.9.x.jar`) and everything it needs.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def pyspark_jars() -> Path:
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    if not any(jars.glob("zookeeper-3*.jar")):
        raise FileNotFoundError(f"no zookeeper jar in {jars}")
    return jars


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ZooKeeperServer:
    """`with ZooKeeperServer(dir) as zk:` runs a server on 127.0.0.1:zk.port, stopped on exit."""

    def __init__(self, data_dir: Path, port: int | None = None, java: str = "java"):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.java = shutil.which(java) or java
        self.process: subprocess.Popen | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ZooKeeperServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "zoo.cfg"
        config.write_text(
            "\n".join(
                [
                    "tickTime=500",  # short ticks: sessions of a killed client expire within seconds
                    "minSessionTimeout=1000",
                    f"dataDir={self.data_dir / 'data'}",
                    f"clientPort={self.port}",
                    "clientPortAddress=127.0.0.1",
                    "admin.enableServer=false",
                    "4lw.commands.whitelist=ruok,srvr,stat,mntr",
                    "",
                ]
            )
        )
        log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                self.java,
                "-Xmx128m",
                "-Dzookeeper.log.dir=" + str(self.data_dir),
                "-cp",
                f"{pyspark_jars()}/*",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"ZooKeeper exited with {self.process.returncode}; see {self.data_dir / 'server.log'}"
                )
            if self._ruok():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"ZooKeeper did not answer on {self.hosts} within {timeout}s")

    def _ruok(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(4) == b"imok"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ZooKeeperServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
