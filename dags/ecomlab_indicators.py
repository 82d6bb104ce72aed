"""Compute the daily indicators of each cleaned interval into ADS and the mart."""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, DWD, TAGS, indicators_tasks, stage_params

with DAG(
    dag_id="ecomlab_indicators",
    description="Compute the daily indicators of each cleaned interval into ADS and the mart.",
    schedule=[DWD],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=stage_params(),
    tags=[*TAGS, "indicators"],
    doc_md=__doc__,
):
    indicators_tasks()
