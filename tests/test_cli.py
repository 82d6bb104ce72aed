"""The `ecomlab` command and the Spark job entry points, run as a user runs them (subprocesses).

Each test here starts its own JVM with its own home, so it cannot share the test session's
embedded metastore; they form the slow tier.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def ecomlab(*args: str, home: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ECOMLAB_HOME": str(home), "COLUMNS": "200", **env}
    result = subprocess.run(
        [str(BIN / "ecomlab"), *args], env=environment, capture_output=True, text=True, timeout=1800
    )
    if check and result.returncode != 0:
        pytest.fail(f"ecomlab {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def read_table(home: Path, table: str, columns: list[str]) -> dict[str, list]:
    """Columns of a warehouse table (its `dt` partitions included), read from its Parquet files.

    The `sql` command has its own tests below; the other checks read the files, since each
    `ecomlab sql` starts a Spark session of its own.
    """
    import pyarrow.dataset as ds

    database, name = table.split(".")
    root = home / "lake" / "warehouse" / f"{database}.db" / name
    return ds.dataset(str(root), format="parquet", partitioning="hive").to_table(columns=columns).to_pydict()


def rows_per_day(home: Path, table: str) -> dict[str, int]:
    days = [str(day) for day in read_table(home, table, ["dt"])["dt"]]
    return {day: days.count(day) for day in sorted(set(days))}


def test_help_lists_every_command(tmp_path):
    out = ecomlab("--help", home=tmp_path).stdout
    for command in ("run", "simulate", "import", "sql", "tables", "config", "collect", "shop"):
        assert f" {command} " in out


def test_a_wrong_setting_stops_start_up_naming_the_key(tmp_path):
    result = ecomlab("config", "check", home=tmp_path, check=False, ECOMLAB_SPARK__MASTER="bogus")
    assert result.returncode == 2
    assert "spark.master" in result.stderr
    result = ecomlab("--profile", "cluster", "config", "check", home=tmp_path, check=False)
    assert result.returncode == 2
    assert "lake_root" in result.stderr and "ECOMLAB_LAKE_ROOT" in result.stderr


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    home = tmp_path_factory.mktemp("cli-home")
    result = ecomlab("run", "--events", "10000", "--days", "1", home=home)
    return home, result


def test_run_prints_a_summary_and_the_paths_it_produced(ran):
    home, result = ran
    for stage in ("generate", "land raw", "load ODS", "clean (ods -> dwd)", "indicators (dwd -> ads -> mart)"):
        assert stage in result.stdout
    for label in ("truth file", "raw zone", "warehouse", "quality report", "run report"):
        assert f"{label}:" in result.stdout
    assert (home / "lake" / "raw" / "shop" / "events").is_dir()
    assert (home / "metastore_db").is_dir()


def test_indicators_prints_a_days_values_from_the_mart(ran):
    home, _ = ran
    result = ecomlab("indicators", "--date", "2026-11-01", "--category", "overall", home=home)
    assert "Unique visitors (UV)" in result.stdout and "Gross profit margin" in result.stdout
    assert "Bounce rate" not in result.stdout  # another category
    bad = ecomlab("indicators", "--date", "01/11/2026", home=home, check=False)
    assert bad.returncode == 1 and "--date must be YYYY-MM-DD" in bad.stderr


def test_run_includes_a_small_crawl_of_the_demo_shop(ran):
    home, result = ran
    assert "crawl demo shop" in result.stdout
    items = read_table(home, "dwd.crawl_competitor_prices", ["item_id"])["item_id"]
    assert len(set(items)) == 24


def test_collect_crawls_both_ways_and_refuses_what_the_guard_refuses(tmp_path):
    result = ecomlab("collect", "--no-load", "--max-items", "4", "--kind", "both", home=tmp_path)
    assert result.stdout.count("│ static ") == 2 and result.stdout.count("│ dynamic ") == 2
    reports = list((tmp_path / "lake" / "runs" / "crawls").glob("*/report.json"))
    assert len(reports) == 4
    assert all(json.loads(r.read_text())["records"]["product"] == 4 for r in reports)
    refused = ecomlab("collect", "--url", "http://10.0.0.1/", home=tmp_path, check=False)
    assert refused.returncode == 1 and "not on the crawl allowlist" in refused.stderr


def test_ods_tables_are_queryable_from_the_sql_command(ran):
    home, _ = ran
    truth_file = next((home / "incoming" / "shop").glob("*/truth.json"))
    truth = json.loads(truth_file.read_text())
    out = ecomlab("sql", "SELECT count(*) AS n FROM ods.shop_events", "--format", "json", home=home).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {"n": truth["rows_written"]["events"]}
    table = ecomlab("tables", home=home).stdout
    assert "shop_events" in table and "shop_users" in table


def test_a_bad_query_is_a_clear_error(ran):
    home, _ = ran
    result = ecomlab("sql", "SELECT nope FROM ods.shop_events", home=home, check=False)
    assert result.returncode == 1
    assert "nope" in result.stderr


def test_import_of_a_malformed_file_names_the_file_and_line(ran, tmp_path):
    home, _ = ran
    bad = tmp_path / "behaviour.csv"
    bad.write_text("1,2,3\n")
    result = ecomlab("import", "taobao", str(bad), home=home, check=False)
    assert result.returncode == 1
    assert "behaviour.csv" in result.stderr and "line 1" in result.stderr


def test_the_main_job_on_the_real_taobao_sample(ran, datasets):
    home, _ = ran
    path = datasets / "taobao-userbehavior-sample" / "UserBehavior.csv"
    users = len({line.split(",")[0] for line in path.read_text().splitlines()})
    # The first run crawled already: this one checks the flag that leaves the crawl out.
    result = ecomlab("run", "--source", "taobao", "--input", str(path), "--no-crawl", home=home)
    assert "import taobao" in result.stdout and "load ODS" in result.stdout
    assert "crawl demo shop" not in result.stdout
    loaded = read_table(home, "ods.taobao_user_behavior", ["user_id"])["user_id"]
    assert (len(loaded), len(set(loaded))) == (4321, users)


def test_the_spark_job_reloads_ods_through_spark_submit(ran):
    home, _ = ran
    before = rows_per_day(home, "ods.shop_orders")
    env = {**os.environ, "ECOMLAB_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    job = subprocess.run(
        [
            str(BIN / "spark-submit"),
            "--master",
            "local[1]",
            str(REPO / "jobs" / "load_ods.py"),
            "--source",
            "shop",
            "--entity",
            "orders",
            "--all-landed",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    assert "ods.shop_orders dt=" in job.stderr + job.stdout, job.stderr[-3000:]
    assert rows_per_day(home, "ods.shop_orders") == before


def test_the_cleaning_job_runs_through_spark_submit(ran):
    home, _ = ran
    env = {**os.environ, "ECOMLAB_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    job = subprocess.run(
        [str(BIN / "spark-submit"), str(REPO / "jobs" / "clean.py"), "--table", "shop_orders", "--run-id", "job-1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    assert (home / "lake" / "runs" / "job-1" / "quality" / "report.html").is_file()
    assert sum(rows_per_day(home, "dwd.shop_orders").values()) > 0
