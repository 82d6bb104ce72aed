"""spark-submit calls built from the settings: the master's connection, conf, paths and arguments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecomlab.orchestration import submit
from ecomlab.orchestration.scope import Scope
from ecomlab.settings import load_settings

MASTERS = ["local[2]", "spark://127.0.0.1:7077", "yarn"]


def _settings(monkeypatch, tmp_path, profile: str, master: str):
    monkeypatch.setenv("ECOMLAB_HOME", str(tmp_path))
    monkeypatch.setenv("ECOMLAB_SPARK__MASTER", master)
    if profile == "cluster":
        monkeypatch.setenv("ECOMLAB_LAKE_ROOT", f"file://{tmp_path}/lake")
        monkeypatch.setenv("ECOMLAB_METASTORE", "thrift://10.0.0.5:9083")
        monkeypatch.setenv("ECOMLAB_MART_URL", "postgresql+psycopg://ecomlab@10.0.0.5/ecomlab")
        monkeypatch.setenv("ECOMLAB_ZOOKEEPER_HOSTS", "10.0.0.5:2181")
    return load_settings(profile)


@pytest.mark.parametrize(
    ("profile", "master"), [("embedded", "local[2]"), ("local", "spark://127.0.0.1:7077"), ("cluster", "yarn")]
)
def test_the_airflow_connection_resolves_to_the_profiles_master(airflow_env, monkeypatch, tmp_path, profile, master):
    """Airflow's own Spark hook reads the connection from the environment, as a worker would."""
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    settings = _settings(monkeypatch, tmp_path, profile, master)
    for name, value in submit.airflow_env(settings).items():
        monkeypatch.setenv(name, value)
    hook = SparkSubmitHook(conn_id=submit.SPARK_CONN_ID)
    assert hook._connection["master"] == master
    assert hook._connection["deploy_mode"] == ("client" if master == "yarn" else None)
    command = hook._build_spark_submit_command("app.py")
    assert command[:3] == ["spark-submit", "--master", master]


def test_airflow_env_puts_this_venvs_spark_submit_first(monkeypatch, tmp_path):
    settings = _settings(monkeypatch, tmp_path, "embedded", "local[2]")
    env = submit.airflow_env(settings)
    first = Path(env["PATH"].split(":")[0])
    assert (first / "spark-submit").exists()
    assert env["PYSPARK_PYTHON"] == sys.executable or Path(env["PYSPARK_PYTHON"]) == Path(sys.executable).absolute()
    # URI form: supervisord cannot pass a value with double quotes (JSON) to a program.
    assert env["AIRFLOW_CONN_ECOMLAB_SPARK"] == "spark://local%5B2%5D"


@pytest.mark.parametrize("master", MASTERS)
def test_submit_options_use_absolute_paths_and_the_venv_python(monkeypatch, tmp_path, master):
    settings = _settings(monkeypatch, tmp_path, "embedded" if master.startswith("local") else "cluster", master)
    options = submit.submit_options(settings, "clean")
    assert Path(options["application"]).is_absolute()
    assert Path(options["application"]).is_file(), options["application"]
    conf = options["conf"]
    assert Path(conf["spark.pyspark.python"]).is_absolute()
    assert Path(conf["spark.pyspark.python"]).name.startswith("python")
    assert options["env_vars"]["PYSPARK_PYTHON"] == conf["spark.pyspark.python"]
    assert Path(conf["spark.local.dir"]).is_absolute() and conf["spark.local.dir"].startswith(str(tmp_path))
    assert "spark.master" not in conf, "the master comes from the connection"
    assert options["driver_memory"] == settings.spark.driver_memory
    if master.startswith("local"):
        assert options["env_vars"]["SPARK_LOCAL_IP"] == "127.0.0.1"
        assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    else:
        assert "SPARK_LOCAL_IP" not in options["env_vars"]
        assert conf["spark.cores.max"] == "2"


def test_jobs_dir_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.setenv(submit.JOBS_DIR_ENV, str(tmp_path))
    assert submit.job_path("mine") == str(tmp_path / "mine.py")


def test_job_arguments_for_a_scope():
    scope = Scope(
        "shop",
        ["2026-11-01", "2026-11-02"],
        "c1",
        tables=["shop_events", "shop_orders"],
        plan="runs/orchestration/shop/2026-11-01_2026-11-02/ods_plan.json",
        truth="/in/truth_defects.csv",
    )
    assert submit.load_ods_args(scope) == ["--plan", scope.plan]
    assert submit.clean_args(scope) == [
        "--run-id",
        "shop-2026-11-01_2026-11-02",
        "--table",
        "shop_events",
        "--table",
        "shop_orders",
        "--dt",
        "2026-11-01",
        "--dt",
        "2026-11-02",
        "--truth",
        "/in/truth_defects.csv",
    ]
    assert submit.indicator_args(scope) == ["--dataset", "shop", "--date", "2026-11-01", "--date", "2026-11-02"]
    assert submit.mining_args(scope) == ["--dataset", "shop", "--date", "2026-11-02"]


def test_jobs_are_not_run_for_data_sets_they_have_nothing_for():
    crawl = Scope("crawl", ["2026-11-01"], "c1", tables=["crawl_products"])
    baskets = Scope("baskets", ["2026-11-01"], "c1", tables=["baskets_transactions"])
    assert submit.indicator_args(crawl) is None and submit.mining_args(crawl) is None
    assert submit.indicator_args(baskets) is None
    assert submit.mining_args(baskets) == ["--dataset", "baskets", "--date", "2026-11-01"]


def test_dashboards_are_exported_under_the_home(monkeypatch, tmp_path):
    settings = _settings(monkeypatch, tmp_path, "embedded", "local[2]")
    command = submit.dashboard_command(settings)
    assert command[1:5] == ["-m", "ecomlab.cli", "dashboard", "export"]
    assert command[-1] == str(tmp_path / "dashboards")


def test_loading_needs_the_plan_written_at_landing():
    with pytest.raises(ValueError, match="no ODS load plan"):
        submit.load_ods_args(Scope("shop", ["2026-11-01"], "c1"))
