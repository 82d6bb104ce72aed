"""Clean the ODS tables of each landed interval into DWD (quarantine and quality report)."""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import DEFAULT_ARGS, ODS, TAGS, clean_tasks, stage_params

with DAG(
    dag_id="ecomlab_clean",
    description="Clean the ODS tables of each landed interval into DWD (quarantine and quality report).",
    schedule=[ODS],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=stage_params(),
    tags=[*TAGS, "cleaning"],
    doc_md=__doc__,
):
    clean_tasks()
