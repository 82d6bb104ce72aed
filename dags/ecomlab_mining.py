"""Mine each cleaned data set up to the interval's last day into ADS and the mart."""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, DWD, TAGS, mining_tasks, stage_params

with DAG(
    dag_id="ecomlab_mining",
    description="Mine each cleaned data set up to the interval's last day into ADS and the mart.",
    schedule=[DWD],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=stage_params(),
    tags=[*TAGS, "mining"],
    doc_md=__doc__,
):
    mining_tasks()
