"""Export the dashboards after indicators or mining, check ADS through HiveServer2.

It runs after either ADS stage (a stage run by hand updates its asset alone, and waiting for
both would pair events of different chains); a chain is done once both of its stages are in.
"""

from airflow.sdk import DAG

from ecomlab.orchestration.dagkit import ADS_INDICATORS, ADS_MINING, DEFAULT_ARGS, TAGS, dashboards_tasks, stage_params

with DAG(
    dag_id="ecomlab_dashboards",
    description="Export the dashboards after indicators or mining, check ADS through HiveServer2.",
    schedule=ADS_INDICATORS | ADS_MINING,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=stage_params(),
    tags=[*TAGS, "visualisation"],
    doc_md=__doc__,
):
    dashboards_tasks()
