"""What each service of the local platform runs, in start order.

Pure: building the definitions reads the settings and looks up installed programs, but
starts nothing and writes nothing (`configs` writes the files they refer to).
Every service listens on 127.0.0.1 only, with one documented exception: Hive 2.3's
metastore has no bind-address option and listens on all interfaces (keep its port
closed to other hosts with a firewall when the machine is on a shared network).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ecomlab.orchestration.submit import airflow_env as task_environment
from ecomlab.services import health
from ecomlab.services.layout import Layout
from ecomlab.settings import Settings

BIN = Path(sys.executable).parent
JDBC_DRIVER = Path("/usr/share/java/postgresql.jar")
REPO_DAGS = Path(__file__).resolve().parents[3] / "dags"


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    port: int | None
    address: str  # how clients reach it (a URL or host:port)
    check: health.Check
    requires: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this OS user (PostgreSQL refuses to run as root)
    stop_signal: str = "TERM"
    stop_seconds: int = 20
    extra_ports: dict[str, int] = field(default_factory=dict)  # other ports it binds (web UIs)
    skip_reason: str | None = None  # why it cannot run on this machine (then `up` leaves it out)
    registered: bool = True  # the registrar announces it in ZooKeeper

    @property
    def ports(self) -> dict[str, int]:
        return {**({"port": self.port} if self.port else {}), **self.extra_ports}


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def postgres_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as Debian's `postgres` user."""
    return "postgres" if os.geteuid() == 0 else None


def airflow_available() -> str | None:
    if importlib.util.find_spec("airflow") is None or not (BIN / "airflow").exists():
        return "Apache Airflow is not installed in this environment"
    return None


def dashboard_available() -> str | None:
    from ecomlab.cli import app

    names = {group.name for group in app.registered_groups} | {c.name for c in app.registered_commands}
    return None if "dashboard" in names else "the `ecomlab dashboard` command is not installed"


def _spark_env(layout: Layout) -> dict[str, str]:
    return {
        "SPARK_HOME": str(spark_home()),
        # Spark's RPC and web UIs bind to SPARK_LOCAL_IP (0.0.0.0 otherwise).
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_LOG_DIR": str(layout.logs),
        "SPARK_PID_DIR": str(layout.run),
        "PYSPARK_PYTHON": sys.executable,
        "JAVA_TOOL_OPTIONS": f"-Djava.io.tmpdir={layout.tmp}",
    }


def airflow_env(settings: Settings, layout: Layout) -> dict[str, str]:
    """Airflow's configuration as environment: LocalExecutor on the platform's PostgreSQL, loopback, low parallelism."""
    ports = settings.services.ports
    driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
    secrets_dir = layout.secrets
    dags = REPO_DAGS if REPO_DAGS.is_dir() else layout.data_dir("airflow") / "dags"
    parallelism = str(settings.services.airflow_parallelism)
    return {
        "AIRFLOW_HOME": str(layout.data_dir("airflow")),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
            f"postgresql+{driver}://ecomlab@/airflow?host={layout.run}&port={ports.postgres}"
        ),
        "AIRFLOW__CORE__PARALLELISM": parallelism,
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": parallelism,
        "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "1",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(secrets_dir / "airflow_passwords.json"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{ports.airflow}/execution/",
        # Keys from files in the secrets directory, so that no secret is in supervisord.conf.
        "AIRFLOW__API_AUTH__JWT_SECRET_CMD": f"cat {secrets_dir / 'airflow_jwt_secret'}",
        "AIRFLOW__API__SECRET_KEY_CMD": f"cat {secrets_dir / 'airflow_api_secret_key'}",
        "AIRFLOW__CORE__FERNET_KEY_CMD": f"cat {secrets_dir / 'airflow_fernet_key'}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(ports.airflow),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{ports.airflow}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(layout.data_dir("airflow") / "logs"),
        # The platform's settings for the tasks Airflow runs: profile, home, the Spark
        # connection, and this virtualenv's Python and spark-submit.
        **task_environment(settings),
        "ECOMLAB_PROFILE": "local",
    }


def build_services(settings: Settings, layout: Layout | None = None) -> list[Service]:
    """Every service of the local platform, in start order."""
    layout = layout or Layout(settings.home)
    ports = settings.services.ports
    sizes = settings.services
    run, conf = layout.run, layout.conf
    ecomlab = str(BIN / "ecomlab")
    spark_env = _spark_env(layout)
    # Spark's launcher gives SPARK_DAEMON_JAVA_OPTS to its daemons (master, worker), not to executors.
    daemon_opts = {"SPARK_DAEMON_JAVA_OPTS": sizes.daemon_jvm_options}
    spark_class = str(spark_home() / "bin" / "spark-class")
    bindir = postgres_bindir()
    jars = spark_home() / "jars"
    master_url = f"spark://127.0.0.1:{ports.spark_master}"

    services = [
        Service(
            "postgres",
            [
                str((bindir or Path("/usr/lib/postgresql/15/bin")) / "postgres"),
                "-D",
                str(layout.data_dir("postgres")),
                "-p",
                str(ports.postgres),
                "-k",
                str(run),
                "-c",
                "listen_addresses=127.0.0.1",
            ],
            ports.postgres,
            f"postgresql://127.0.0.1:{ports.postgres}",
            health.PostgresCheck(run, ports.postgres),
            user=postgres_user(),
            stop_signal="INT",  # fast shutdown: abort sessions, checkpoint, exit
            skip_reason=None if bindir else "PostgreSQL is not installed (run infra/scripts/ensure-postgres.sh)",
        ),
        Service(
            "zookeeper",
            [
                shutil.which("java") or "java",
                "-Xmx128m",
                *sizes.daemon_jvm_options.split(),
                f"-Dzookeeper.log.dir={layout.logs}",
                "-cp",
                f"{jars}/*",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(conf / "zoo.cfg"),
            ],
            ports.zookeeper,
            f"127.0.0.1:{ports.zookeeper}",
            health.ZooKeeperCheck(ports.zookeeper),
        ),
        Service(
            "registrar",
            [sys.executable, "-m", "ecomlab.services.registrar", "--home", str(settings.home)],
            None,
            "",
            health.Check(),  # its health is that of the registry: status reads it
            requires=("zookeeper",),
            registered=False,
        ),
        Service(
            "metastore",
            [
                shutil.which("java") or "java",
                f"-Xmx{sizes.metastore_memory}",
                *sizes.daemon_jvm_options.split(),
                f"-Djava.io.tmpdir={layout.tmp}",
                "-cp",
                f"{conf / 'hive'}:{jars}/*:{JDBC_DRIVER}",
                "org.apache.hadoop.hive.metastore.HiveMetaStore",
                "-p",
                str(ports.metastore),
            ],
            ports.metastore,
            f"thrift://127.0.0.1:{ports.metastore}",
            health.TcpCheck(ports.metastore),
            requires=("postgres",),
            skip_reason=None if JDBC_DRIVER.exists() else f"no PostgreSQL JDBC driver at {JDBC_DRIVER}",
        ),
        Service(
            "spark-master",
            [
                spark_class,
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.spark_master),
                "--webui-port",
                str(ports.spark_master_ui),
            ],
            ports.spark_master,
            master_url,
            health.SparkMasterCheck(ports.spark_master_ui),
            # No REST submission server: it would take the fixed port 6066 (jobs use spark-submit to 7077).
            env={**spark_env, "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false", **daemon_opts},
            extra_ports={"ui": ports.spark_master_ui},
        ),
        Service(
            "spark-worker",
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.spark_worker),
                "--webui-port",
                str(ports.spark_worker_ui),
                "--cores",
                str(sizes.spark_worker_cores),
                "--memory",
                sizes.spark_worker_memory,
                "--work-dir",
                str(layout.data_dir("spark-worker")),
                master_url,
            ],
            ports.spark_worker,
            f"127.0.0.1:{ports.spark_worker}",
            health.SparkWorkerCheck(ports.spark_master_ui, ports.spark_worker),
            requires=("spark-master",),
            env={**spark_env, **daemon_opts},
            extra_ports={"ui": ports.spark_worker_ui},
        ),
        Service(
            "thrift-server",
            thrift_server_command(settings, layout),
            ports.thrift_server,
            f"127.0.0.1:{ports.thrift_server}",
            health.TcpCheck(ports.thrift_server),
            requires=("metastore", "spark-worker"),
            # spark-submit sizes the Thrift Server's driver by SPARK_DAEMON_MEMORY, not spark.driver.memory.
            env={**spark_env, "SPARK_DAEMON_MEMORY": sizes.thrift_server_memory},
            extra_ports={"ui": ports.thrift_server_ui},
            stop_seconds=30,
        ),
        Service(
            "dask-scheduler",
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.dask_scheduler),
                "--dashboard-address",
                f"127.0.0.1:{ports.dask_dashboard}",
            ],
            ports.dask_scheduler,
            f"tcp://127.0.0.1:{ports.dask_scheduler}",
            health.HttpCheck(f"http://127.0.0.1:{ports.dask_dashboard}/health", expect="ok"),
            extra_ports={"dashboard": ports.dask_dashboard},
        ),
        Service(
            "dask-worker",
            [
                str(BIN / "dask"),
                "worker",
                f"tcp://127.0.0.1:{ports.dask_scheduler}",
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                f"127.0.0.1:{ports.dask_worker_dashboard}",
                "--nthreads",
                "2",
                "--memory-limit",
                sizes.dask_worker_memory,
                "--no-nanny",
                "--local-directory",
                str(layout.data_dir("dask-worker")),
            ],
            None,
            f"127.0.0.1:{ports.dask_worker_dashboard}",
            health.HttpCheck(f"http://127.0.0.1:{ports.dask_worker_dashboard}/health", expect="ok"),
            requires=("dask-scheduler",),
            extra_ports={"dashboard": ports.dask_worker_dashboard},
        ),
    ]
    airflow_missing = airflow_available()
    env = airflow_env(settings, layout)
    airflow = str(BIN / "airflow")
    api = f"http://127.0.0.1:{ports.airflow}"
    services.append(
        Service(
            "airflow-api-server",
            [airflow, "api-server", "--host", "127.0.0.1", "--port", str(ports.airflow), "--workers", "1"],
            ports.airflow,
            api,
            health.AirflowComponentCheck(ports.airflow, "metadatabase"),
            requires=("postgres",),
            env=env,
            skip_reason=airflow_missing,
        )
    )
    # The scheduler's and triggerer's log servers listen on every interface; the API server reads
    # task logs from the shared local log folder instead.
    for component, check_name, options in (
        ("scheduler", "scheduler", ["--skip-serve-logs"]),
        ("dag-processor", "dag_processor", []),
        ("triggerer", "triggerer", ["--skip-serve-logs"]),
    ):
        services.append(
            Service(
                f"airflow-{component}",
                [airflow, component, *options],
                None,
                api,
                health.AirflowComponentCheck(ports.airflow, check_name),
                requires=("airflow-api-server",),
                env=env,
                skip_reason=airflow_missing,
            )
        )
    services.append(
        Service(
            "shop",
            [ecomlab, "shop", "serve", "--host", "127.0.0.1", "--port", str(ports.shop)],
            ports.shop,
            f"http://127.0.0.1:{ports.shop}",
            health.HttpCheck(f"http://127.0.0.1:{ports.shop}/"),
        )
    )
    services.append(
        Service(
            "dashboard",
            [ecomlab, "dashboard", "serve", "--port", str(ports.dashboard)],
            ports.dashboard,
            f"http://127.0.0.1:{ports.dashboard}",
            health.HttpCheck(f"http://127.0.0.1:{ports.dashboard}/"),
            env={"ECOMLAB_PROFILE": "local"},
            skip_reason=dashboard_available(),
        )
    )
    return services


def thrift_server_command(settings: Settings, layout: Layout) -> list[str]:
    """spark-submit of Spark's HiveServer2 endpoint, on the standalone master, the metastore and loopback."""
    from ecomlab.warehouse.spark import spark_conf

    ports = settings.services.ports
    sizes = settings.services
    conf = spark_conf(settings, app_name="ecomlab-thrift-server")
    conf.update(
        {
            "spark.master": f"spark://127.0.0.1:{ports.spark_master}",
            "spark.driver.memory": sizes.thrift_server_memory,
            "spark.executor.memory": sizes.spark_executor_memory,
            "spark.cores.max": "1",  # leave the worker's other core to the jobs
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "true",
            "spark.ui.port": str(ports.thrift_server_ui),
            "spark.port.maxRetries": "0",  # a taken port is an error, not a silent move
        }
    )
    command = [
        str(spark_home() / "bin" / "spark-submit"),
        "--class",
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
    ]
    for key, value in sorted(conf.items()):
        command += ["--conf", f"{key}={value}"]
    command += [
        "--hiveconf",
        f"hive.server2.thrift.port={ports.thrift_server}",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
        "spark-internal",
    ]
    return command


def select(services: list[Service], only: list[str] | None) -> list[Service]:
    """The services to run: `only` (with what they require, and the registrar), in start order."""
    by_name = {s.name: s for s in services}
    if not only:
        kept: set[str] = set()
        for service in services:  # in start order: what a service requires comes before it
            if service.skip_reason is None and all(r in kept for r in service.requires):
                kept.add(service.name)
        return [s for s in services if s.name in kept]
    unknown = [name for name in only if name not in by_name]
    if unknown:
        raise ValueError(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(by_name)}")
    wanted: set[str] = set()
    stack = [*only, "registrar"]
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(by_name[name].requires)
    chosen = [s for s in services if s.name in wanted]
    missing = [f"{s.name} ({s.skip_reason})" for s in chosen if s.skip_reason]
    if missing:
        raise ValueError(f"cannot run here: {'; '.join(missing)}")
    return chosen
