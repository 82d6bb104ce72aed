"""Simulate the shop or import a public data file, land it in the raw zone and load it into ODS."""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, TAGS, ingest_tasks, run_params

with DAG(
    dag_id="ecomlab_ingest",
    description="Simulate the shop or import a public data file, land it in the raw zone and load it into ODS.",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=run_params(),
    tags=[*TAGS, "ingestion"],
    doc_md=__doc__,
):
    ingest_tasks()
