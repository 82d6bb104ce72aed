"""`ecomlab up | status | down` on real services: PostgreSQL, ZooKeeper, the Hive Metastore service,
a Spark standalone master and worker and the Spark Thrift Server, queried with PyHive.

One subset of the platform (`up --only thrift-server` brings what it needs) is started once
for the module, on free ports and in a home of its own; the tests run in file order and the
last ones stop a service and then everything.
"""

from __future__ import annotations

import ipaddress
import socket
import time

import psutil
import pytest
from platform_helpers import cli, leftovers, platform_home, status_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    env, settings = platform_home(tmp_path_factory, "platform")
    started = time.monotonic()
    up = cli(env, "up", "--only", "thrift-server")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield {"env": env, "settings": settings, "up": up, "seconds": time.monotonic() - started}
    finally:
        cli(env, "down")


def _cli(platform, *args: str):
    return cli(platform["env"], *args)


def test_up_shows_the_admin_password_once_and_status_reads_the_registry(platform):
    shown = platform["up"].stdout + platform["up"].stderr
    assert "admin password (shown once" in shown
    password = (platform["settings"].home / "services" / "secrets" / "admin_password").read_text().strip()
    assert password in shown

    again = _cli(platform, "up", "--only", "postgres")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert "admin password" not in again.stdout + again.stderr
    assert password not in again.stdout + again.stderr

    status = _cli(platform, "status")
    rows = status_rows(status.stdout)
    assert status.returncode == 0, status.stdout
    expected = ["postgres", "zookeeper", "registrar", "metastore", "spark-master", "spark-worker", "thrift-server"]
    assert list(rows) == expected
    assert all(rows[n].startswith("healthy since") for n in expected if n != "registrar")

    from ecomlab.coordination.zookeeper import ZooKeeperCoordinator

    ports = platform["settings"].services.ports
    with ZooKeeperCoordinator(platform["settings"].zookeeper_hosts) as registry:
        entry = registry.lookup("thrift-server")
    assert entry.address == f"127.0.0.1:{ports.thrift_server}"
    assert entry.meta["health"] == "healthy" and entry.meta["ports"]["ui"] == ports.thrift_server_ui


def _loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.ipv4_mapped:  # Java listens on ::ffff:127.0.0.1
        address = address.ipv4_mapped
    return address.is_loopback


def test_nothing_listens_beyond_loopback_but_the_metastore(platform):
    from ecomlab.services.layout import Layout
    from ecomlab.services.platform import platform_processes

    settings = platform["settings"]
    exposed = []
    for process in platform_processes(Layout(settings.home)):
        try:
            sockets = process.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for conn in sockets:
            if conn.status == psutil.CONN_LISTEN and not _loopback(conn.laddr.ip):
                exposed.append((process.name(), conn.laddr.ip, conn.laddr.port))
    # Hive 2.3's metastore has no bind-address option (documented); everything else is on loopback.
    assert {port for _, _, port in exposed} <= {settings.services.ports.metastore}, exposed


def test_every_jvm_of_the_platform_runs_with_its_configured_options(platform):
    """The options reach the real JVMs: Spark's launchers (spark-class, spark-submit) and the
    worker starting executors each build their own command line."""
    from ecomlab.services.layout import Layout
    from ecomlab.services.platform import platform_processes

    settings = platform["settings"]
    daemon, spark = settings.services.daemon_jvm_options.split(), settings.spark.jvm_options.split()
    main_classes = {
        "QuorumPeerMain": daemon,
        "HiveMetaStore": daemon,
        "deploy.master.Master": daemon,
        "deploy.worker.Worker": daemon,
        "SparkSubmit": spark,  # the Thrift Server's driver
        "CoarseGrainedExecutorBackend": spark,  # its executor, started by the worker
    }
    seen = {}
    for process in platform_processes(Layout(settings.home)):
        try:
            command = process.cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for main_class, options in main_classes.items():
            if any(part.endswith(main_class) for part in command):
                seen[main_class] = [option for option in options if option not in command]
    assert set(seen) == set(main_classes), f"JVMs found: {sorted(seen)}"
    assert not any(seen.values()), f"options missing from a JVM's command line: {seen}"


def test_the_thrift_server_found_through_the_registry_answers_pyhive(platform):
    from ecomlab.warehouse import hiveserver2

    settings = platform["settings"]
    hiveserver2.execute(settings, "CREATE DATABASE IF NOT EXISTS ads")
    hiveserver2.execute(settings, "CREATE TABLE IF NOT EXISTS ads.probe (dt STRING, value INT) STORED AS PARQUET")
    hiveserver2.execute(settings, "INSERT OVERWRITE TABLE ads.probe VALUES ('2026-01-01', 3), ('2026-01-02', 4)")
    frame = hiveserver2.query(settings, "SELECT dt, value FROM ads.probe ORDER BY dt")
    assert frame.to_dict("records") == [{"dt": "2026-01-01", "value": 3}, {"dt": "2026-01-02", "value": 4}]
    # The table is in the shared metastore on PostgreSQL, its files in the lake.
    assert any((settings.home / "lake" / "warehouse" / "ads.db" / "probe").glob("*.parquet"))


def test_postgres_trusts_its_socket_and_wants_the_password_over_tcp(platform):
    import psycopg
    import sqlalchemy

    settings = platform["settings"]
    port = settings.services.ports.postgres
    engine = sqlalchemy.create_engine(settings.mart_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS kept_across_restarts (n int)")
        conn.exec_driver_sql("DELETE FROM kept_across_restarts")
        conn.exec_driver_sql("INSERT INTO kept_across_restarts VALUES (42)")
    engine.dispose()
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host="127.0.0.1", port=port, user="ecomlab", dbname="ecomlab", password="wrong")
    password = (settings.home / "services" / "secrets" / "admin_password").read_text().strip()
    with psycopg.connect(host="127.0.0.1", port=port, user="ecomlab", dbname="metastore", password=password) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"DBS", "TBLS"} <= tables  # the metastore's schema, created on first use


def test_a_stopped_service_shows_as_down_and_clients_name_it(platform):
    from ecomlab.warehouse import hiveserver2

    stopped = _cli(platform, "down", "--only", "thrift-server")
    assert stopped.returncode == 0, stopped.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = _cli(platform, "status")
        rows = status_rows(status.stdout)
        if rows.get("thrift-server") == "down":
            break
        time.sleep(1)
    assert rows["thrift-server"] == "down", status.stdout
    assert rows["metastore"].startswith("healthy")
    assert status.returncode == 1
    with pytest.raises(hiveserver2.HiveServer2Unavailable, match="thrift-server is not registered"):
        hiveserver2.query(platform["settings"], "SELECT 1")


def test_down_leaves_no_process_behind_and_data_survives_a_restart(platform):
    settings = platform["settings"]
    down = _cli(platform, "down")
    assert down.returncode == 0, down.stderr
    assert "stray" not in down.stdout  # the supervisor stopped everything itself
    assert leftovers(settings.home) == []
    ports = settings.services.ports
    for port in (ports.postgres, ports.zookeeper, ports.metastore, ports.thrift_server, ports.spark_master):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"

    again = _cli(platform, "up", "--only", "postgres")
    try:
        assert again.returncode == 0, again.stderr
        import sqlalchemy

        engine = sqlalchemy.create_engine(settings.mart_url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT n FROM kept_across_restarts").scalar_one() == 42
        engine.dispose()
    finally:
        assert _cli(platform, "down").returncode == 0
    assert leftovers(settings.home) == []
