"""The whole platform for one interval: ingest (and crawl), then the stages that follow through assets.

Triggered with a conf (source, start, end, events, input, crawl_items), it starts the
ingest DAG (and the collect DAG when crawl_items > 0); their ODS asset starts cleaning,
whose DWD asset starts indicators and mining, whose ADS assets start the dashboards. The
run succeeds once the dashboards stage has marked this chain done for every data set.
"""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, TAGS, pipeline_tasks, run_params

with DAG(
    dag_id="ecomlab_pipeline",
    description="Ingest (and crawl) one interval and run every stage after it through assets.",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=run_params(),
    tags=[*TAGS, "pipeline"],
    doc_md=__doc__,
):
    pipeline_tasks(ingest_dag_id="ecomlab_ingest", collect_dag_id="ecomlab_collect")
