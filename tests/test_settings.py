"""Configuration: profiles, site files, environment overrides and the errors that name the key.

Every test starts from an environment without `ECOMLAB_*` variables and in a directory of
its own (the default home, `var`, is relative to it); monkeypatch restores both afterwards,
so the variables that the session fixtures set for the Spark tests are left as they were.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy.engine import make_url

from ecomlab.settings import ConfigError, load_settings
from ecomlab.warehouse.spark import spark_conf

CLUSTER_SITE = """\
lake_root: hdfs://nn.example:8020/ecomlab
metastore: thrift://meta1.example:9083,thrift://meta2.example:9083
mart_url: postgresql+psycopg://ecomlab:s3cret@db.example:5432/mart
zookeeper_hosts: zk1.example:2181, zk2.example:2181
webhdfs_url: http://nn.example:9870
hdfs_user: etl
spark:
  shuffle_partitions: 96
  conf:
    spark.executor.memory: 6g
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("ECOMLAB_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


def _site(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# Defaults -------------------------------------------------------------------------------


def test_embedded_defaults_put_everything_under_an_absolute_home(clean_env):
    settings = load_settings("embedded")

    home = settings.home
    assert home.is_absolute()
    assert home == (clean_env / "var").resolve()
    lake = urlparse(settings.lake_root)
    assert lake.scheme == "file"
    assert Path(lake.path) == home / "lake"
    assert settings.metastore.startswith("derby:///")
    assert settings.derby_path == home / "metastore_db"
    assert settings.derby_path.is_absolute()
    mart = make_url(settings.mart_url)
    assert mart.get_backend_name() == "sqlite"
    assert Path(mart.database) == home / "mart.sqlite"
    assert settings.spark.master.startswith("local[")
    assert settings.zookeeper_hosts == "in-process"
    assert settings.webhdfs_url is None


def test_default_profile_is_embedded():
    assert load_settings().profile == "embedded"


def test_home_from_the_environment_moves_every_local_path(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path / "elsewhere"))

    settings = load_settings("embedded")

    home = (tmp_path / "elsewhere").resolve()
    assert settings.home == home
    assert Path(urlparse(settings.lake_root).path) == home / "lake"
    assert settings.derby_path == home / "metastore_db"
    assert Path(make_url(settings.mart_url).database) == home / "mart.sqlite"


def test_relative_home_is_made_absolute_against_the_working_directory(monkeypatch, clean_env):
    monkeypatch.setenv("ECOMLAB_HOME", "state/here")
    assert load_settings("embedded").home == (clean_env / "state" / "here").resolve()


# Environment overrides and invalid values -----------------------------------------------------


def test_env_override_of_a_nested_key(monkeypatch):
    before = load_settings("embedded")
    monkeypatch.setenv("ECOMLAB_SPARK__MASTER", "local[1]")

    after = load_settings("embedded")

    assert before.spark.master != "local[1]"
    assert after.spark.master == "local[1]"
    # The other spark keys still come from the profile.
    assert after.spark.driver_memory == before.spark.driver_memory
    assert after.spark.shuffle_partitions == before.spark.shuffle_partitions


def test_env_wins_over_the_site_file(monkeypatch, tmp_path):
    site = _site(tmp_path, CLUSTER_SITE)
    monkeypatch.setenv("ECOMLAB_SPARK__SHUFFLE_PARTITIONS", "7")
    monkeypatch.setenv("ECOMLAB_ZOOKEEPER_HOSTS", "zk9.example:2181")

    settings = load_settings("cluster", config_file=site)

    assert settings.spark.shuffle_partitions == 7
    assert settings.zookeeper_hosts == "zk9.example:2181"


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("ECOMLAB_SPARK__MASTER", "bogus", "spark.master"),
        ("ECOMLAB_SPARK__DRIVER_MEMORY", "lots", "spark.driver_memory"),
        ("ECOMLAB_SPARK__SHUFFLE_PARTITIONS", "0", "spark.shuffle_partitions"),
        ("ECOMLAB_LAKE_ROOT", "s3://x", "lake_root"),
        ("ECOMLAB_LAKE_ROOT", "file://relative/lake", "lake_root"),
        ("ECOMLAB_METASTORE", "derby://relative/path", "metastore"),
        ("ECOMLAB_MART_URL", "not a url", "mart_url"),
        ("ECOMLAB_ZOOKEEPER_HOSTS", "nohostport", "zookeeper_hosts"),
    ],
)
def test_an_invalid_value_names_its_key(monkeypatch, variable, value, key):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as raised:
        load_settings("embedded")

    message = str(raised.value)
    assert f"  {key}: " in message
    assert "invalid configuration" in message


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("ECOMLAB_MART_URL", "postgresql://u@db.example/mart", "mart_url"),
        ("ECOMLAB_METASTORE", "thrift://127.0.0.1:9083", "metastore"),
        ("ECOMLAB_SPARK__MASTER", "yarn", "spark.master"),
    ],
)
def test_the_embedded_profile_refuses_servers(monkeypatch, variable, value, key):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=rf"{key}: the embedded profile"):
        load_settings("embedded")


def test_the_local_profile_needs_real_zookeeper_hosts(monkeypatch):
    monkeypatch.setenv("ECOMLAB_ZOOKEEPER_HOSTS", "in-process")
    with pytest.raises(ConfigError, match="zookeeper_hosts: the local profile needs real ZooKeeper hosts"):
        load_settings("local")


# The cluster profile and site files -----------------------------------------------------------


def test_cluster_without_site_settings_names_each_missing_key_and_variable():
    with pytest.raises(ConfigError) as raised:
        load_settings("cluster")

    message = str(raised.value)
    for key in ("lake_root", "metastore", "mart_url", "zookeeper_hosts"):
        assert f"  {key}: missing; set it in " in message
        assert f"ECOMLAB_{key.upper()}" in message
    assert "ECOMLAB_CONFIG" in message


@pytest.mark.parametrize("via", ["argument", "ECOMLAB_CONFIG"])
def test_an_hdfs_lake_needs_a_webhdfs_url(monkeypatch, tmp_path, via):
    site = _site(tmp_path, CLUSTER_SITE.replace("webhdfs_url: http://nn.example:9870\n", ""))
    if via == "ECOMLAB_CONFIG":
        monkeypatch.setenv("ECOMLAB_CONFIG", str(site))

    with pytest.raises(ConfigError, match="webhdfs_url: an hdfs:// lake needs"):
        load_settings("cluster", config_file=site if via == "argument" else None)


@pytest.mark.parametrize("via", ["argument", "ECOMLAB_CONFIG"])
def test_a_complete_cluster_site_file_loads(monkeypatch, tmp_path, via):
    site = _site(tmp_path, CLUSTER_SITE)
    if via == "ECOMLAB_CONFIG":
        monkeypatch.setenv("ECOMLAB_CONFIG", str(site))

    settings = load_settings("cluster", config_file=site if via == "argument" else None)

    assert settings.profile == "cluster"
    assert settings.lake_root == "hdfs://nn.example:8020/ecomlab"
    assert settings.warehouse_root == "hdfs://nn.example:8020/ecomlab/warehouse"
    assert settings.metastore == "thrift://meta1.example:9083,thrift://meta2.example:9083"
    assert settings.zookeeper_hosts == "zk1.example:2181,zk2.example:2181"  # blanks dropped
    assert settings.webhdfs_url == "http://nn.example:9870"
    assert settings.hdfs_user == "etl"
    assert settings.derby_path is None
    # The site file's spark section is merged into the profile's, key by key.
    assert settings.spark.master == "yarn"
    assert settings.spark.shuffle_partitions == 96
    assert settings.spark.conf == {"spark.executor.memory": "6g"}


@pytest.mark.parametrize(
    ("extra", "key"),
    [("lake_rooot: file:///tmp/x\n", "lake_rooot"), ("spark:\n  mastr: yarn\n", "spark.mastr")],
)
def test_unknown_keys_in_a_site_file_are_rejected(tmp_path, extra, key):
    site = _site(tmp_path, extra)
    with pytest.raises(ConfigError, match=rf"  {key}: unknown key"):
        load_settings("embedded", config_file=site)


def test_a_missing_config_file_is_named(monkeypatch, tmp_path):
    missing = tmp_path / "no-such-site.yaml"
    monkeypatch.setenv("ECOMLAB_CONFIG", str(missing))
    with pytest.raises(ConfigError, match=rf"{re.escape(str(missing))}.*does not exist"):
        load_settings("cluster")


def test_a_missing_config_file_argument_is_named(tmp_path):
    missing = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match=rf"{re.escape(str(missing))}.*does not exist"):
        load_settings("cluster", config_file=missing)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("lake_root: [unclosed\n", "not valid YAML"), ("- a\n- list\n", "must be a mapping")],
)
def test_an_unreadable_site_file_is_named(tmp_path, text, problem):
    site = _site(tmp_path, text, "broken.yaml")
    with pytest.raises(ConfigError) as raised:
        load_settings("cluster", config_file=site)
    assert str(site) in str(raised.value)
    assert problem in str(raised.value)


# Profiles ----------------------------------------------------------------------------------


def test_an_unknown_profile_is_named(monkeypatch):
    with pytest.raises(ConfigError, match="'staging'"):
        load_settings("staging")
    monkeypatch.setenv("ECOMLAB_PROFILE", "prod")
    with pytest.raises(ConfigError, match="profile: must be one of embedded, local, cluster, got 'prod'"):
        load_settings()


def test_the_profile_argument_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("ECOMLAB_PROFILE", "cluster")  # would fail: no site settings
    assert load_settings("embedded").profile == "embedded"
    monkeypatch.setenv("ECOMLAB_PROFILE", "local")
    local = load_settings()
    assert local.profile == "local"
    assert local.metastore.startswith("thrift://")


def test_redacted_hides_the_mart_password(tmp_path):
    settings = load_settings("cluster", config_file=_site(tmp_path, CLUSTER_SITE))
    assert "s3cret" in settings.mart_url

    shown = settings.redacted()

    assert "s3cret" not in str(shown)
    assert make_url(shown["mart_url"]).username == "ecomlab"
    assert make_url(shown["mart_url"]).host == "db.example"
    assert shown["lake_root"] == settings.lake_root


# Spark properties --------------------------------------------------------------------------


def test_spark_conf_embedded(monkeypatch):
    monkeypatch.setenv("ECOMLAB_SPARK__SHUFFLE_PARTITIONS", "3")
    settings = load_settings("embedded")
    home = settings.home

    conf = spark_conf(settings, app_name="t")

    assert conf["spark.app.name"] == "t"
    assert conf["spark.master"] == settings.spark.master
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.sql.catalogImplementation"] == "hive"
    assert conf["spark.sql.warehouse.dir"] == settings.warehouse_root
    assert Path(urlparse(conf["spark.sql.warehouse.dir"]).path) == home / "lake" / "warehouse"
    # Embedded Derby at an absolute path, whatever the working directory.
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true"
    )
    assert "spark.hadoop.hive.metastore.uris" not in conf
    assert "spark.hadoop.fs.defaultFS" not in conf
    assert conf["spark.driver.host"] == "127.0.0.1"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    # Hive settings reach the Hadoop configuration only when prefixed with spark.hadoop.
    hive_keys = [k for k in conf if "hive." in k and k != "spark.sql.catalogImplementation"]
    assert hive_keys
    assert all(k.startswith("spark.hadoop.hive.") for k in hive_keys)
    for key in ("spark.hadoop.hive.exec.scratchdir", "spark.hadoop.hive.exec.local.scratchdir", "spark.local.dir"):
        assert Path(conf[key]).is_relative_to(home), key
    java_options = dict(
        option.removeprefix("-D").split("=", 1) for option in conf["spark.driver.extraJavaOptions"].split()
    )
    assert Path(java_options["java.io.tmpdir"]).is_relative_to(home)
    assert Path(java_options["derby.system.home"]) == home


def test_spark_conf_local_uses_the_metastore_service():
    settings = load_settings("local")

    conf = spark_conf(settings)

    # The local stack's JVMs run small serial-collected heaps, drivers and executors alike.
    assert "-XX:+UseSerialGC" in settings.spark.jvm_options
    assert conf["spark.executor.extraJavaOptions"] == settings.spark.jvm_options
    assert conf["spark.driver.extraJavaOptions"].endswith(" " + settings.spark.jvm_options)

    assert conf["spark.hadoop.hive.metastore.uris"] == settings.metastore
    assert conf["spark.hadoop.hive.metastore.uris"].startswith("thrift://")
    assert not any("ConnectionURL" in k or "derby" in k.lower() for k in conf)
    assert conf["spark.master"] == settings.spark.master


def test_spark_conf_cluster_on_hdfs(tmp_path):
    settings = load_settings("cluster", config_file=_site(tmp_path, CLUSTER_SITE))

    conf = spark_conf(settings)

    assert conf["spark.hadoop.fs.defaultFS"] == "hdfs://nn.example:8020"
    assert conf["spark.sql.warehouse.dir"] == "hdfs://nn.example:8020/ecomlab/warehouse"
    assert conf["spark.hadoop.hive.metastore.uris"] == "thrift://meta1.example:9083,thrift://meta2.example:9083"
    assert conf["spark.master"] == "yarn"
    assert conf["spark.sql.shuffle.partitions"] == "96"
    assert conf["spark.executor.memory"] == "6g"  # passed through from the site file
    assert "spark.hadoop.javax.jdo.option.ConnectionURL" not in conf
