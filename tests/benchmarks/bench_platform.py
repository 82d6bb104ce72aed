"""The local platform's benchmark: `ecomlab up` to all healthy, and the stack's memory (PSS).

Starts every service this machine can run (`ecomlab up`) in a home of its own on free
ports, measures the time to all healthy, the proportional set size of every process of
the stack at idle and while the master DAG runs on one day of demo data (and the time from
its trigger to success), stops it
(`ecomlab down`), and starts it again on the kept data to compare a warm start with the
first one. PSS counts shared pages (the JVMs' common jars) once across the stack, so the
sum is the stack's real share of the machine's memory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

BIN = Path(sys.executable).parent
IDLE_SECONDS = 20


def _free_ports(names: list[str]) -> dict[str, str]:
    sockets = []
    for _ in names:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    env = {
        f"ECOMLAB_SERVICES__PORTS__{n.upper()}": str(s.getsockname()[1]) for n, s in zip(names, sockets, strict=True)
    }
    for sock in sockets:
        sock.close()
    return env


# What a process is, from its command line: the JVM's main class, PostgreSQL, or the Python program.
# First match wins: the Thrift Server is a spark-submit too, so it comes before SparkSubmit.
_KINDS = {
    "HiveThriftServer2": "thrift-server",
    "SparkSubmit": "spark-submit (driver)",
    "CoarseGrainedExecutorBackend": "spark executor",
    "HiveMetaStore": "hive-metastore",
    "QuorumPeerMain": "zookeeper",
    "deploy.master.Master": "spark-master",
    "deploy.worker.Worker": "spark-worker",
    "pyspark": "pyspark python",
    "postgres": "postgres",
    "dask": "dask",
    "airflow": "airflow",
    "supervisord": "supervisord",
}


def _kind(process) -> str:
    import psutil

    try:
        command = " ".join(process.cmdline()) or process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "other"
    for marker, kind in _KINDS.items():
        if marker in command:
            return kind
    return "other"


def stack_pss(layout) -> tuple[float, int, dict[str, float]]:
    """PSS of every process of the platform (MiB), how many there are, and the MiB of each kind."""
    import psutil

    from ecomlab.services.platform import platform_processes

    by_kind: dict[str, int] = {}
    processes = platform_processes(layout)
    for process in processes:
        try:
            pss = process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        kind = _kind(process)
        by_kind[kind] = by_kind.get(kind, 0) + pss
    mib = {kind: round(size / 2**20, 1) for kind, size in sorted(by_kind.items(), key=lambda item: -item[1])}
    return round(sum(by_kind.values()) / 2**20, 1), len(processes), mib


def _up(env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "ecomlab"), "up"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"ecomlab up failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return round(seconds, 1), result.stdout


# The master DAG's conf for the run measured: one simulated day of demo data, no crawl.
PIPELINE_CONF = {"source": "shop", "start": "2026-11-01", "end": "2026-11-01", "events": 10_000, "crawl_items": 0}
STAGE_DAGS = ["ecomlab_ingest", "ecomlab_clean", "ecomlab_indicators", "ecomlab_mining", "ecomlab_dashboards"]


def _pipeline_run(settings) -> float:
    """Trigger the master DAG through the REST API and wait for it: seconds from trigger to success."""
    from ecomlab.services.airflow_api import AirflowClient

    with AirflowClient.from_platform(settings) as client:
        deadline = time.monotonic() + 300
        while not {*STAGE_DAGS, "ecomlab_pipeline"} <= set(client.dags()):
            if time.monotonic() > deadline:
                raise SystemExit(f"the DAG processor did not list every DAG: {client.dags()}")
            time.sleep(5)
        for dag_id in STAGE_DAGS:
            client.unpause(dag_id)
        started = time.perf_counter()
        run_id = client.trigger("ecomlab_pipeline", PIPELINE_CONF)
        state = client.wait("ecomlab_pipeline", run_id, timeout=3600, poll=5)
        if state != "success":
            raise SystemExit(f"the master DAG run {run_id} ended {state}")
        return round(time.perf_counter() - started, 1)


def bench_platform(work: Path) -> dict:
    from ecomlab.services.layout import Layout
    from ecomlab.services.platform import read_selection
    from ecomlab.settings import ServicePorts, load_settings

    home = work / "platform-home"
    home.mkdir(parents=True)
    # PostgreSQL runs as its own user under root: let it into the benchmark's (0700) work dir.
    for directory in (home, work):
        directory.chmod(directory.stat().st_mode | 0o011)
    env = {"ECOMLAB_PROFILE": "local", "ECOMLAB_HOME": str(home), **_free_ports(list(ServicePorts.model_fields))}
    full_env = {**os.environ, **env}
    with mock.patch.dict(os.environ, env):
        settings = load_settings("local")
    layout = Layout(settings.home)
    result: dict = {}
    try:
        result["up_seconds"], _ = _up(full_env)
        result["services"] = read_selection(layout)
        time.sleep(IDLE_SECONDS)
        result["idle_pss_mib"], result["processes"], result["idle_pss_by_kind_mib"] = stack_pss(layout)
        peak: list = [0.0, {}]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                total, _, by_kind = stack_pss(layout)
                if total > peak[0]:
                    peak[:] = [total, by_kind]
                done.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with mock.patch.dict(os.environ, env):
            result["pipeline_seconds"] = _pipeline_run(settings)
        done.set()
        sampler.join()
        result["run_pss_mib"], result["run_pss_by_kind_mib"] = peak
        subprocess.run([str(BIN / "ecomlab"), "down"], env=full_env, capture_output=True, text=True, check=True)
        result["warm_up_seconds"], _ = _up(full_env)
    finally:
        subprocess.run([str(BIN / "ecomlab"), "down"], env=full_env, capture_output=True, text=True)
    return result
