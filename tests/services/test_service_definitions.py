"""The local platform's definitions: settings, commands, generated configuration (no server started)."""

from __future__ import annotations

import configparser

import pytest

from ecomlab.services import configs
from ecomlab.services.definitions import build_services, select
from ecomlab.services.layout import Layout
from ecomlab.services.supervisor import render
from ecomlab.settings import ConfigError, load_settings


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path / "home"))
    return load_settings("local")


def test_urls_follow_the_configured_ports(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SERVICES__PORTS__POSTGRES", "15999")
    monkeypatch.setenv("ECOMLAB_SERVICES__PORTS__METASTORE", "19999")
    monkeypatch.setenv("ECOMLAB_SERVICES__PORTS__ZOOKEEPER", "12999")
    settings = load_settings("local")
    assert settings.services.ports.postgres == 15999
    assert "port=15999" in settings.mart_url and f"host={tmp_path}/services/run" in settings.mart_url
    assert settings.metastore == "thrift://127.0.0.1:19999"
    assert settings.zookeeper_hosts == "127.0.0.1:12999"
    assert settings.spark.master == "spark://127.0.0.1:7077"


def test_two_services_on_one_port_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SERVICES__PORTS__SHOP", "2181")
    with pytest.raises(ConfigError, match=r"ports.shop and ports.zookeeper are both 2181"):
        load_settings("local")


def test_a_bad_memory_size_names_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SERVICES__SPARK_EXECUTOR_MEMORY", "lots")
    with pytest.raises(ConfigError, match=r"services.spark_executor_memory: must be a JVM memory size"):
        load_settings("local")


def test_a_maximum_heap_in_jvm_options_is_refused_naming_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SERVICES__DAEMON_JVM_OPTIONS", "-XX:+UseSerialGC -Xmx4g")
    with pytest.raises(ConfigError, match=r"services.daemon_jvm_options: .*must not set the maximum heap"):
        load_settings("local")


def test_service_jvms_get_the_daemon_options_and_jobs_the_spark_options(local):
    services = {s.name: s for s in build_services(local)}
    daemon = local.services.daemon_jvm_options.split()
    assert "-XX:+UseSerialGC" in daemon
    for name in ("zookeeper", "metastore"):
        command = services[name].command
        assert command[2 : 2 + len(daemon)] == daemon, name  # right after the maximum heap
    for name in ("spark-master", "spark-worker"):
        assert services[name].env["SPARK_DAEMON_JAVA_OPTS"] == local.services.daemon_jvm_options, name
    # The Thrift Server and the DAGs' jobs are Spark drivers: the spark options, on driver and executors.
    thrift = " ".join(services["thrift-server"].command)
    assert f"spark.executor.extraJavaOptions={local.spark.jvm_options}" in thrift
    assert local.spark.jvm_options in thrift.split("spark.driver.extraJavaOptions=", 1)[1]


def test_services_come_in_start_order_and_listen_on_loopback(local):
    services = build_services(local)
    names = [s.name for s in services]
    for before, after in [
        ("postgres", "metastore"),
        ("zookeeper", "registrar"),
        ("metastore", "thrift-server"),
        ("spark-master", "spark-worker"),
        ("spark-worker", "thrift-server"),
        ("dask-scheduler", "dask-worker"),
        ("postgres", "airflow-api-server"),
        ("airflow-api-server", "airflow-scheduler"),
    ]:
        assert names.index(before) < names.index(after)
    for service in services:
        for required in service.requires:
            assert names.index(required) < names.index(service.name), service.name
        command = " ".join(service.command)
        assert "0.0.0.0" not in command
    by_name = {s.name: s for s in services}
    assert "listen_addresses=127.0.0.1" in by_name["postgres"].command
    assert "hive.server2.thrift.bind.host=127.0.0.1" in by_name["thrift-server"].command
    assert by_name["spark-master"].env["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert "spark.executor.memory=512m" in by_name["thrift-server"].command
    assert by_name["thrift-server"].env["SPARK_DAEMON_MEMORY"] == local.services.thrift_server_memory


def test_airflow_runs_local_executor_on_postgres_with_low_parallelism(local):
    scheduler = next(s for s in build_services(local) if s.name == "airflow-scheduler")
    env = scheduler.env
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+")
    assert f"port={local.services.ports.postgres}" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # One task at a time: the Spark worker has one core free for jobs (the other is the Thrift Server's).
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) == local.services.airflow_parallelism == 1
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    # Through the socket in the home: no password in the URL (nor in supervisord.conf).
    assert "://ecomlab@/airflow?" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_only_brings_what_a_service_needs(local):
    chosen = [s.name for s in select(build_services(local), ["thrift-server"])]
    needed = ["postgres", "zookeeper", "registrar", "metastore", "spark-master", "spark-worker", "thrift-server"]
    assert chosen == needed
    with pytest.raises(ValueError, match=r"unknown service.*nosuch"):
        select(build_services(local), ["nosuch"])


def test_services_that_cannot_run_here_are_left_out_with_a_reason(local):
    services = build_services(local)
    dashboard = next(s for s in services if s.name == "dashboard")
    everything = [s.name for s in select(services, None)]
    assert (dashboard.skip_reason is None) == ("dashboard" in everything)
    if dashboard.skip_reason:
        with pytest.raises(ValueError, match="cannot run here: dashboard"):
            select(services, ["dashboard"])


def test_supervisor_configuration_starts_nothing_by_itself_and_kills_process_groups(local):
    layout = Layout(local.home)
    services = select(build_services(local, layout), ["thrift-server"])
    parser = configparser.RawConfigParser()
    parser.read_string(render(services, layout))
    assert parser.get("unix_http_server", "file") == str(layout.supervisor_socket)
    assert not parser.has_section("inet_http_server")  # no TCP control port
    priorities = [int(parser.get(f"program:{s.name}", "priority")) for s in services]
    assert priorities == sorted(priorities)  # stopped in reverse
    for service in services:
        section = f"program:{service.name}"
        assert parser.get(section, "autostart") == "false"
        assert parser.get(section, "stopasgroup") == "true"
        assert parser.get(section, "killasgroup") == "true"
    assert parser.get("program:postgres", "stopsignal") == "INT"


def test_hive_site_holds_the_working_datanucleus_settings_and_escapes_the_password(local):
    xml = configs.hive_site(local, Layout(local.home), "p<&>w")
    assert "<value>p&lt;&amp;&gt;w</value>" in xml
    assert "<name>datanucleus.schema.autoCreateAll</name><value>false</value>" in xml
    assert "<name>datanucleus.schema.autoCreateTables</name><value>true</value>" in xml
    assert f"jdbc:postgresql://127.0.0.1:{local.services.ports.postgres}/metastore" in xml


def test_zookeeper_listens_on_loopback_without_its_admin_server(local):
    text = configs.zookeeper_config(local, Layout(local.home))
    assert "clientPortAddress=127.0.0.1" in text
    assert "admin.enableServer=false" in text
    assert f"clientPort={local.services.ports.zookeeper}" in text


def test_supervisor_configuration_keeps_percent_signs_and_spaces_and_refuses_quotes_in_environment(tmp_path):
    from supervisor.options import ServerOptions

    from ecomlab.services import health
    from ecomlab.services.definitions import Service

    layout = Layout(tmp_path)
    layout.create()
    odd = Service(
        "odd",
        ["/bin/echo", "100%", "a b"],
        None,
        "",
        health.Check(),
        env={"RATE": "5%", "SPACED": "a b,c"},
    )
    layout.supervisor_conf.write_text(render([odd], layout))
    # supervisord's own parser reads it back as written.
    options = ServerOptions()
    options.realize(["-c", str(layout.supervisor_conf)])
    program = options.process_group_configs[0].process_configs[0]
    assert program.command == "/bin/echo 100% 'a b'"
    assert program.environment == {"RATE": "5%", "SPACED": "a b,c"}
    assert program.stopasgroup and program.killasgroup
    quoted = Service("quoted", ["/bin/true"], None, "", health.Check(), env={"QUOTED": 'say "hi"'})
    with pytest.raises(ValueError, match="QUOTED of a service holds a double quote"):
        render([quoted], layout)
