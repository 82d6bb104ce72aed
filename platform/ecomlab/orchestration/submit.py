"""spark-submit calls of the Spark stages, built from the settings.

The Spark provider's operator runs `spark-submit` (found on PATH) against the master of
the `ecomlab_spark` Airflow connection; `spark_connection()` gives that connection for the
profile's master (`local[N]`, `spark://host:port` or `yarn`) and `airflow_env()` every
variable an Airflow process needs to run these jobs. The application is an absolute path
to a job in `jobs/`, and the driver and executors use this virtualenv's Python.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from ecomlab.orchestration.scope import Scope
from ecomlab.settings import Settings

SPARK_CONN_ID = "ecomlab_spark"
# Where the jobs are: the checkout's jobs/ (the package is installed from the checkout).
JOBS_DIR_ENV = "ECOMLAB_JOBS_DIR"
_CHECKOUT_JOBS = Path(__file__).resolve().parents[3] / "jobs"


def jobs_dir() -> Path:
    return Path(os.environ.get(JOBS_DIR_ENV) or _CHECKOUT_JOBS).absolute()


def job_path(name: str) -> str:
    """Absolute path of jobs/<name>.py (checked when spark-submit runs it, not here)."""
    return str(jobs_dir() / f"{name}.py")


def venv_python() -> str:
    """This virtualenv's interpreter (not resolved: the symlink is what makes it the venv's)."""
    return str(Path(sys.executable).absolute())


def spark_connection(settings: Settings) -> dict[str, Any]:
    """The `ecomlab_spark` connection for the profile's Spark master, as Airflow's JSON form."""
    master = settings.spark.master
    connection: dict[str, Any] = {"conn_type": "spark", "host": master}
    if master == "yarn":
        connection["extra"] = {"deploy-mode": "client"}
    return connection


def spark_connection_uri(settings: Settings) -> str:
    """The same connection in Airflow's URI form: process supervisors refuse JSON's quotes."""
    connection = spark_connection(settings)
    uri = f"spark://{quote(connection['host'], safe='')}"
    extra = connection.get("extra")
    return f"{uri}?{urlencode(extra)}" if extra else uri


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment of Airflow's processes so that the DAGs' Spark tasks run on this profile."""
    bin_dir = str(Path(venv_python()).parent)
    path = os.environ.get("PATH", "")
    return {
        "AIRFLOW_CONN_" + SPARK_CONN_ID.upper(): spark_connection_uri(settings),
        "ECOMLAB_PROFILE": settings.profile,
        "ECOMLAB_HOME": str(settings.home),
        "PYSPARK_PYTHON": venv_python(),
        "PYSPARK_DRIVER_PYTHON": venv_python(),
        # spark-submit is looked up on PATH; this virtualenv's comes first.
        "PATH": bin_dir if not path else bin_dir + os.pathsep + path,
    }


# Properties spark-submit takes as options of its own, or that the job sets by itself.
_NOT_CONF = {"spark.master", "spark.app.name", "spark.driver.memory"}


def submit_conf(settings: Settings, app_name: str) -> dict[str, str]:
    """--conf properties of a job: the session's, so that the driver JVM starts with them."""
    from ecomlab.warehouse.spark import spark_conf

    conf = {k: v for k, v in spark_conf(settings, app_name).items() if k not in _NOT_CONF}
    conf["spark.pyspark.python"] = venv_python()
    conf["spark.pyspark.driver.python"] = venv_python()
    if not settings.spark.master.startswith("local"):
        # Executors need their own share of this small machine (or cluster).
        conf.setdefault("spark.cores.max", "2")
    return conf


def submit_options(settings: Settings, job: str) -> dict[str, Any]:
    """Keyword arguments of SparkSubmitOperator for jobs/<job>.py on this profile."""
    env = {
        "ECOMLAB_PROFILE": settings.profile,
        "PYSPARK_PYTHON": venv_python(),
        "PYSPARK_DRIVER_PYTHON": venv_python(),
    }
    if settings.spark.master.startswith("local"):
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return {
        "application": job_path(job),
        "conn_id": SPARK_CONN_ID,
        "name": f"ecomlab-{job}",
        "conf": submit_conf(settings, f"ecomlab-{job}"),
        "driver_memory": settings.spark.driver_memory,
        "env_vars": env,
        "verbose": False,
    }


# Arguments of each job for a scope (one list per spark-submit) ------------------------


def load_ods_args(scope: Scope) -> list[str]:
    if not scope.plan:
        raise ValueError(f"{scope.dataset} {scope.key}: no ODS load plan was written when the data was landed")
    return ["--plan", scope.plan]


def clean_args(scope: Scope) -> list[str]:
    args = ["--run-id", scope.clean_run_id]
    for table in scope.tables:
        args += ["--table", table]
    for day in scope.days:
        args += ["--dt", day]
    if scope.truth:
        args += ["--truth", scope.truth]
    return args


# Data sets each job has something to compute for (the crawl feeds cleaning and the dashboards only).
INDICATOR_DATASETS = ("shop", "taobao", "cdnow")
MINING_DATASETS = ("shop", "taobao", "cdnow", "baskets")


def indicator_args(scope: Scope) -> list[str] | None:
    """Every day of the interval in one run (one JVM start); None when the data set has no indicators."""
    if scope.dataset not in INDICATOR_DATASETS:
        return None
    args = ["--dataset", scope.dataset]
    for day in scope.days:
        args += ["--date", day]
    return args


def mining_args(scope: Scope) -> list[str] | None:
    """Mining looks at the history up to the interval's last day; None when the data set has nothing to mine."""
    if scope.dataset not in MINING_DATASETS:
        return None
    return ["--dataset", scope.dataset, "--date", scope.last_day]


def dashboard_command(settings: Settings) -> list[str]:
    """The CLI call that exports every data set's dashboards from the mart (replacing the last export)."""
    return [venv_python(), "-m", "ecomlab.cli", "dashboard", "export", str(settings.home / "dashboards")]
