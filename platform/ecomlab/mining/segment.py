"""Customer segmentation: RFM scores, then K-means on the RFM measures with k chosen by silhouette.

Recency is the days from a customer's last purchase to the end of the data; frequency the
number of purchases; monetary the mean purchase value. K-means runs on standardised
(recency, log frequency, log monetary), for every k in a range; the k with the best
silhouette wins, and a few more seeds for that k keep the lowest-cost clustering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


class SegmentError(ValueError):
    """Too little data to segment, naming what is missing."""


@dataclass(frozen=True)
class SegmentParams:
    k_min: int = 2
    k_max: int = 8
    seeds: int = 4
    max_iter: int = 40


@dataclass
class SegmentResult:
    customers: pd.DataFrame  # customer_id, recency, frequency, monetary, r/f/m scores, rfm, segment
    profiles: pd.DataFrame  # segment, label, size, avg_recency, avg_frequency, avg_monetary, value_share
    k: int
    silhouettes: dict[int, float]


def shop_purchases(spark, days: list[str] | None = None):
    """Paid orders of the shop as (customer_id, ts, value)."""
    from pyspark.sql import functions as F

    orders = spark.table("dwd.shop_orders").where(F.col("status") == "paid")
    if days:
        orders = orders.where(F.col("dt").isin(days))
    return orders.select(
        F.col("user_id").alias("customer_id"),
        F.col("order_time").alias("ts"),
        F.col("total_amount").cast("double").alias("value"),
    )


def cdnow_purchases(spark, table: str | None = None):
    """CDNOW purchases as (customer_id, ts, value), from the same table the indicators read:
    the master file's when it was imported, else the 1/10 sample's."""
    from pyspark.sql import functions as F

    from ecomlab.sources.importers import cdnow_purchase_table

    if table is None:
        name = cdnow_purchase_table(lambda t: spark.catalog.tableExists(f"dwd.{t}"))
        if name is None:
            raise SegmentError("no CDNOW purchases in dwd: import and clean a CDNOW file first")
        table = f"dwd.{name}"
    frame = spark.table(table)
    customer = "master_id" if "master_id" in frame.columns else "customer_id"
    return frame.select(
        F.col(customer).alias("customer_id"),
        F.col("date").cast("timestamp").alias("ts"),
        F.col("dollar_value").cast("double").alias("value"),
    )


def rfm_table(purchases, as_of=None):
    """One row per customer: recency (days), frequency, monetary (mean value)."""
    from pyspark.sql import functions as F

    end = as_of if as_of is not None else purchases.agg(F.max("ts")).first()[0]
    if end is None:
        raise SegmentError("no purchases to segment")
    return purchases.groupBy("customer_id").agg(
        ((F.lit(end).cast("double") - F.max("ts").cast("double")) / 86400.0).alias("recency"),
        F.count("*").alias("frequency"),
        F.avg("value").alias("monetary"),
    )


def _scores(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Quintile scores 1..5 by rank (ties share the lower rank)."""
    ranks = values.rank(method="min", ascending=higher_is_better, pct=True)
    return np.ceil(ranks * 5).clip(1, 5).astype(int)


def segment(spark, purchases, params: SegmentParams | None = None, as_of=None) -> SegmentResult:
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.evaluation import ClusteringEvaluator
    from pyspark.ml.feature import StandardScaler, VectorAssembler
    from pyspark.sql import functions as F

    params = params or SegmentParams()
    rfm = rfm_table(purchases, as_of).where(F.col("monetary") > 0)
    features = rfm.select(
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        F.log(F.col("frequency").cast("double")).alias("log_frequency"),
        F.log(F.col("monetary")).alias("log_monetary"),
    )
    assembled = VectorAssembler(inputCols=["recency", "log_frequency", "log_monetary"], outputCol="raw").transform(
        features
    )
    scaled = (
        StandardScaler(inputCol="raw", outputCol="features", withMean=True, withStd=True)
        .fit(assembled)
        .transform(assembled)
        .cache()
    )
    n = scaled.count()
    if n < params.k_min + 1:
        scaled.unpersist()
        raise SegmentError(f"{n} customer(s) with purchases: too few to segment into {params.k_min} or more groups")
    evaluator = ClusteringEvaluator(featuresCol="features", predictionCol="segment")

    def fit(k: int, seed: int):
        return KMeans(k=k, seed=seed, maxIter=params.max_iter, featuresCol="features", predictionCol="segment").fit(
            scaled
        )

    # Every k with the first seed picks k (each fit is dozens of small Spark jobs, so a full
    # k-by-seed grid costs minutes on small data); the other seeds then only refine the chosen k.
    best_k, best_score, best_model, silhouettes = None, -2.0, None, {}
    for k in range(params.k_min, min(params.k_max, n - 1) + 1):
        model = fit(k, seed=1)
        score = evaluator.evaluate(model.transform(scaled))
        silhouettes[k] = round(float(score), 4)
        if score > best_score:
            best_k, best_score, best_model = k, score, model
    refined = False
    for seed in range(2, params.seeds + 1):
        model = fit(best_k, seed)
        if model.summary.trainingCost < best_model.summary.trainingCost:
            best_model, refined = model, True
    if refined:  # another seed's clustering replaced the first: its silhouette is the one reported
        silhouettes[best_k] = round(float(evaluator.evaluate(best_model.transform(scaled))), 4)
    customers = best_model.transform(scaled).select("customer_id", "recency", "frequency", "monetary", "segment")
    customers = customers.toPandas()
    scaled.unpersist()
    customers["r_score"] = _scores(customers["recency"], higher_is_better=False)
    customers["f_score"] = _scores(customers["frequency"], higher_is_better=True)
    customers["m_score"] = _scores(customers["monetary"], higher_is_better=True)
    customers["rfm"] = (
        customers["r_score"].astype(str) + customers["f_score"].astype(str) + customers["m_score"].astype(str)
    )
    customers["segment"] = customers["segment"].astype(int)
    customers = customers.sort_values("customer_id").reset_index(drop=True)
    return SegmentResult(customers, profile(customers), best_k, silhouettes)


def profile(customers: pd.DataFrame) -> pd.DataFrame:
    """Size, value and recency per segment, with a descriptive label."""
    value = customers["frequency"] * customers["monetary"]
    grouped = customers.assign(value=value).groupby("segment")
    out = pd.DataFrame(
        {
            "size": grouped.size(),
            "avg_recency": grouped["recency"].mean(),
            "avg_frequency": grouped["frequency"].mean(),
            "avg_monetary": grouped["monetary"].mean(),
            "value_share": grouped["value"].sum() / max(value.sum(), 1e-12),
        }
    ).reset_index()
    out["label"] = [_label(row, customers) for row in out.itertuples()]
    return out[["segment", "label", "size", "avg_recency", "avg_frequency", "avg_monetary", "value_share"]]


def _label(row, customers: pd.DataFrame) -> str:
    """Words for where a segment sits against all customers' medians."""
    recencies = customers["recency"]
    lapsed = row.avg_recency >= recencies.quantile(0.75) and row.avg_recency > recencies.median()
    recency = "lapsed" if lapsed else "recent"
    frequency = "frequent" if row.avg_frequency >= customers["frequency"].median() else "occasional"
    monetary = customers["monetary"]
    if row.avg_monetary >= monetary.quantile(0.75):
        spend = "high spend"
    elif row.avg_monetary <= monetary.quantile(0.25):
        spend = "low spend"
    else:
        spend = "mid spend"
    return f"{recency} {frequency} {spend}"


def adjusted_rand_index(truth, predicted) -> float:
    """Adjusted Rand index of two labelings of the same items (1 = identical partitions)."""
    table = pd.crosstab(pd.Series(list(truth)), pd.Series(list(predicted))).to_numpy()

    def pairs(x):
        return (x * (x - 1) / 2).sum()

    index, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), pairs(np.array([table.sum()]))
    expected = rows * cols / total
    maximum = (rows + cols) / 2
    return float((index - expected) / (maximum - expected)) if maximum != expected else 1.0
