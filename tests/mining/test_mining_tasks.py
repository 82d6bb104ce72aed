"""Mining tasks store their results in ADS and the mart, one partition per data set and day."""

from __future__ import annotations

import pandas as pd
import pytest

from ecomlab.mining.tasks import clv_task, rules_task, segment_task


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


@pytest.mark.spark
def test_clv_on_one_day_skips_the_models_with_a_reason_and_stores_null_values(spark, shop, mart):
    # One day of shop orders: nobody buys on a second day, so there are no repeat customers.
    day = shop.days[0]
    outcome = clv_task(spark, mart, "shop", "one-day", days=[day])
    assert outcome.summary["repeat_customers"] == 0 and outcome.summary["customers"] > 100
    assert "fewer than the minimum 10" in outcome.summary["gamma_gamma_skipped"]
    assert "bgnbd_skipped" in outcome.summary and "r" not in outcome.summary
    params = mart.read("SELECT * FROM mining_clv_params WHERE dataset = 'shop' AND run_dt = 'one-day'")
    skipped = params.set_index("param")
    assert skipped.loc["gamma_gamma_skipped", "note"] == outcome.summary["gamma_gamma_skipped"]
    assert skipped.loc["gamma_gamma_skipped", "value"] is None or pd.isna(skipped.loc["gamma_gamma_skipped", "value"])
    values = mart.read("SELECT * FROM mining_clv WHERE dataset = 'shop' AND run_dt = 'one-day'")
    assert len(values) == outcome.summary["customers"] == outcome.rows["mining_clv"]
    assert values["expected_value"].isna().all() and values["note"].str.contains("gamma_gamma skipped").all()
    ads = spark.sql("SELECT count(*), count(expected_value) FROM ads.mining_clv WHERE run_dt = 'one-day'").first()
    assert (ads[0], ads[1]) == (len(values), 0)

    # The whole week has repeat customers: both models fitted, into the same tables and columns.
    week = clv_task(spark, mart, "shop", "week", days=shop.days)
    assert week.summary["repeat_customers"] >= 10
    assert not [k for k in week.summary if k.endswith("_skipped")]
    assert week.summary["r"] > 0 and week.summary["p"] > 0
    fitted = mart.read("SELECT * FROM mining_clv WHERE dataset = 'shop' AND run_dt = 'week'")
    assert fitted["expected_value"].notna().all() and fitted["note"].isna().all()
    ads = spark.sql("SELECT count(expected_value), count(note) FROM ads.mining_clv WHERE run_dt = 'week'").first()
    assert (ads[0], ads[1]) == (len(fitted), 0)
