"""Mining tasks store their results in ADS and the mart, one partition per data set and day."""

from __future__ import annotations

import pytest

from ecomlab.mining.tasks import rules_task, segment_task


@pytest.mark.spark
def test_planted_pairs_are_found_with_their_lift_and_stored_once(spark, shop, mart):
    for _ in range(2):  # a repeated run replaces its partition
        outcome = rules_task(spark, mart, "shop", shop.days[-1], days=shop.days, min_support=0.002)
    assert outcome.rows["mining_rules"] > 0
    rules = mart.read("SELECT * FROM mining_rules WHERE dataset = 'shop' AND run_dt = :d", d=shop.days[-1])
    assert len(rules) == outcome.rows["mining_rules"]
    assert rules["rank"].is_unique
    ads = spark.sql(f"SELECT count(*) FROM ads.mining_rules WHERE dataset='shop' AND run_dt='{shop.days[-1]}'")
    assert ads.first()[0] == len(rules)
    found = 0
    for pair in shop.truth["product_pairs"]["pairs"]:
        if pair["orders_with_antecedent"] < 30:
            continue
        match = rules[
            (rules["antecedent"] == str(pair["antecedent_item_id"]))
            & (rules["consequent"] == str(pair["consequent_item_id"]))
        ]
        assert len(match) == 1, pair
        assert match["lift"].iloc[0] == pytest.approx(pair["lift"], rel=0.10)
        found += 1
    assert found >= 3


@pytest.mark.spark
def test_segments_and_customer_scores_reach_the_mart(spark, shop, mart):
    outcome = segment_task(spark, mart, "shop", shop.days[-1], days=shop.days)
    segments = mart.read("SELECT * FROM mining_segments WHERE dataset = 'shop'")
    customers = mart.read("SELECT * FROM mining_customer_rfm WHERE dataset = 'shop'")
    assert len(segments) == outcome.summary["k"]
    assert segments["size"].sum() == len(customers)
    assert set(customers.columns) >= {"recency", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm"}
