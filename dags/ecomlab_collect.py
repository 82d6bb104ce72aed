"""Crawl the demo shop and a competitor, land the records and load them into ODS."""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, TAGS, collect_tasks, run_params

with DAG(
    dag_id="ecomlab_collect",
    description="Crawl the demo shop and a competitor, land the records and load them into ODS.",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=run_params(crawl_items=24),
    tags=[*TAGS, "collection"],
    doc_md=__doc__,
):
    collect_tasks()
