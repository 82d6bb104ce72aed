"""Recommendation: ALS learns the planted taste and beats popularity in the same run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecomlab.mining.recommend import RecommendParams, _metrics, recommend, shop_interactions


def test_metrics_by_hand():
    precision, recall, ndcg = _metrics(np.array([5, 1, 9, 2, 7, 8, 3, 4, 6, 10]), {1, 4, 11}, 10)
    assert precision == pytest.approx(0.2)
    assert recall == pytest.approx(2 / 3)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg == pytest.approx((1 / np.log2(3) + 1 / np.log2(9)) / ideal)


@pytest.mark.spark
def test_als_beats_popularity_and_cold_users_get_popular_items(spark, shop):
    users = sorted(set(shop.segments.index[:50]) | {10_000_001})  # one user never seen
    result = recommend(spark, shop_interactions(spark, shop.days), RecommendParams(), users=users)
    scores = result.evaluation.set_index("model")
    print(scores.round(4).to_dict("index"), "test users", result.test_users)
    assert scores.loc["als", "precision_at_10"] >= 1.3 * scores.loc["popular", "precision_at_10"]
    assert scores.loc["als", "ndcg_at_10"] > scores.loc["popular", "ndcg_at_10"]
    assert scores.loc["als", "recall_at_10"] > scores.loc["popular", "recall_at_10"]

    recs = result.recommendations
    cold = recs[recs["user_id"] == 10_000_001]
    assert (cold["source"] == "popular").all() and len(cold) == 20
    warm = recs[recs["source"] == "als"]
    assert warm.groupby("user_id")["rank"].apply(lambda r: list(r) == list(range(1, 21))).all()
    # Seen items are left out by default.
    seen = shop_interactions(spark, shop.days).select("user_id", "item_id").distinct().toPandas()
    overlap = warm.merge(seen, on=["user_id", "item_id"])
    assert overlap.empty
    assert isinstance(result.recommendations, pd.DataFrame)
