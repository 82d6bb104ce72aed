"""What the Airflow DAGs run: parameter checks, the scope of a run, the stages' Python work
and the spark-submit calls, all without importing Airflow (the DAG files in `dags/` only
wire these together; `ecomlab.orchestration.dagkit` holds the Airflow-side helpers).
"""
