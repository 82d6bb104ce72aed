"""Each mining method as a task that reads DWD, computes, and stores its results (ADS and
mart): what the `mine` commands, jobs/mine.py and the main job's mining stage run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from ecomlab.mart import Mart
from ecomlab.mining.store import save

log = logging.getLogger("ecomlab.mining")

DATASETS = ("shop", "taobao", "cdnow")
TASKS = ("rules", "behaviour", "segment", "recommend", "clv")


@dataclass
class TaskOutcome:
    task: str
    rows: dict[str, int] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def rules_task(spark, mart, dataset: str, run_dt: str, days=None, min_support=0.002, min_confidence=0.1):
    from ecomlab.mining.rules import RuleParams, mine_rules, order_baskets

    if dataset == "shop":
        baskets = order_baskets(spark, days=days)
    else:
        from pyspark.sql import functions as F

        raw = spark.table(f"dwd.{dataset}_transactions") if dataset == "baskets" else None
        if raw is None:
            raise ValueError(f"rules: no baskets for data set {dataset!r}")
        baskets = raw.select(F.array_distinct(F.split("items", ",")).alias("items"))
    result = mine_rules(baskets, RuleParams(min_support, min_confidence))
    n = save(spark, mart, "mining_rules", result.rules, {"dataset": dataset, "run_dt": run_dt})
    return TaskOutcome("rules", {"mining_rules": n}, {"transactions": result.transactions})


def behaviour_task(spark, mart, dataset: str, run_dt: str, days=None):
    from ecomlab.mining import behaviour

    clicks = behaviour.shop_clickstream(spark, days) if dataset == "shop" else behaviour.taobao_clickstream(spark)
    result = behaviour.analyse(clicks)
    part = {"dataset": dataset}
    rows = {
        "mining_paths": save(spark, mart, "mining_paths", result.paths, part),
        "mining_activity": save(spark, mart, "mining_activity", result.activity, part),
        "mining_cohort_retention": save(spark, mart, "mining_cohort_retention", result.retention, part),
        "mining_funnel": save(spark, mart, "mining_funnel", result.funnel, part),
    }
    return TaskOutcome("behaviour", rows, {"sessions": result.sessions})


def segment_task(spark, mart, dataset: str, run_dt: str, days=None):
    from ecomlab.mining import segment

    purchases = segment.shop_purchases(spark, days) if dataset == "shop" else segment.cdnow_purchases(spark)
    result = segment.segment(spark, purchases)
    part = {"dataset": dataset, "run_dt": run_dt}
    customers = result.customers.copy()
    customers["customer_id"] = customers["customer_id"].astype(str)
    rows = {
        "mining_segments": save(spark, mart, "mining_segments", result.profiles, part),
        "mining_customer_rfm": save(spark, mart, "mining_customer_rfm", customers, part),
    }
    return TaskOutcome("segment", rows, {"k": result.k, "silhouettes": result.silhouettes})


def recommend_task(spark, mart, dataset: str, run_dt: str, days=None):
    from ecomlab.mining import recommend

    if dataset == "shop":
        interactions = recommend.shop_interactions(spark, days)
        users = [int(r[0]) for r in spark.table("dwd.shop_users").select("user_id").distinct().collect()]
    else:
        interactions, users = recommend.taobao_interactions(spark), None
    result = recommend.recommend(spark, interactions, users=users)
    part = {"dataset": dataset, "run_dt": run_dt}
    rows = {
        "mining_rec_eval": save(spark, mart, "mining_rec_eval", result.evaluation, part),
        "mining_recommendations": save(spark, mart, "mining_recommendations", result.recommendations, part),
    }
    return TaskOutcome("recommend", rows, {"evaluation": result.evaluation.round(4).to_dict("records")})


def clv_task(
    spark,
    mart,
    dataset: str,
    run_dt: str,
    days=None,
    calibration_end=None,
    horizon_weeks: float = 52.0,
    min_repeat_customers: int | None = None,
):
    """BG/NBD + Gamma-Gamma over the data set's purchases (the shop's paid orders or CDNOW).

    A model the data cannot support (too few repeat customers) is skipped: the reason is in
    the outcome's summary, in the params table and in each customer's `note`."""
    from ecomlab.mining import clv, segment

    purchases = segment.shop_purchases(spark, days) if dataset == "shop" else segment.cdnow_purchases(spark)
    tx = purchases.toPandas().rename(columns={"ts": "date"})
    if tx.empty:
        raise ValueError(f"clv: no purchases for data set {dataset!r}")
    tx["customer_id"] = tx["customer_id"].astype(str)
    tx["date"] = pd.to_datetime(tx["date"]).dt.normalize()
    end = calibration_end or tx["date"].max().date()
    summary = clv.summarise(tx, end)
    model = clv.fit(summary, min_repeat_customers or clv.MIN_REPEAT_CUSTOMERS)
    for name, reason in model.skipped.items():
        log.warning("clv on %s: %s skipped: %s", dataset, name, reason)
    part = {"dataset": dataset, "run_dt": run_dt}
    rows = {
        "mining_clv_params": save(spark, mart, "mining_clv_params", model.params_table(), part),
        "mining_clv": save(spark, mart, "mining_clv", clv.customer_values(model, summary, horizon_weeks), part),
    }
    summary_out: dict = {k: round(v, 4) for k, v in model.params().items()}
    summary_out.update(customers=model.customers, repeat_customers=model.repeat_customers)
    summary_out.update({f"{name}_skipped": reason for name, reason in model.skipped.items()})
    return TaskOutcome("clv", rows, summary_out)


RUNNERS = {
    "rules": rules_task,
    "behaviour": behaviour_task,
    "segment": segment_task,
    "recommend": recommend_task,
    "clv": clv_task,
}


def run_tasks(
    spark, mart: Mart | None, dataset: str, run_dt: str, tasks=TASKS, days=None, advance=lambda n: None
) -> list[TaskOutcome]:
    outcomes = []
    for task in tasks:
        log.info("mining %s on %s", task, dataset)
        outcomes.append(RUNNERS[task](spark, mart, dataset, run_dt, days=days))
        advance(1)
    return outcomes
