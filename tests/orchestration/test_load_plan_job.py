"""jobs/load_ods.py --plan: the load plan a DAG writes at landing, given alone and read from the lake."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

JOB = Path(__file__).resolve().parents[2] / "jobs" / "load_ods.py"


@pytest.fixture(scope="module")
def load_ods_job():
    spec = importlib.util.spec_from_file_location("load_ods_job", JOB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "argv",
    [["--plan", "p.json", "--source", "shop"], ["--plan", "p.json", "--dt", "2026-11-01"], ["--entity", "events"]],
)
def test_plan_goes_alone_and_something_must_be_named(load_ods_job, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        load_ods_job.main(argv)
    assert exited.value.code == 2
    assert "--plan" in capsys.readouterr().err


def test_a_missing_plan_is_named_before_spark_starts(load_ods_job, settings, caplog):
    with caplog.at_level(logging.ERROR):
        assert load_ods_job.main(["--plan", "runs/orchestration/shop/nowhere/ods_plan.json"]) == 2
    assert "runs/orchestration/shop/nowhere/ods_plan.json does not exist" in caplog.text
