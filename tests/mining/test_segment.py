"""Segmentation: RFM scores and K-means recover the simulator's planted segments."""

from __future__ import annotations

import pandas as pd
import pytest

from ecomlab.mining.segment import SegmentError, adjusted_rand_index, profile, segment, shop_purchases


def test_adjusted_rand_index_is_one_for_the_same_partition_and_near_zero_for_noise():
    assert adjusted_rand_index("aabbcc", [2, 2, 0, 0, 1, 1]) == pytest.approx(1.0)
    assert adjusted_rand_index("aaabbb", "ababab") < 0.1
    # Worked example: one item moved from the first group to the second.
    assert adjusted_rand_index("aaabbb", "aabbbb") == pytest.approx(0.3243, abs=1e-4)


def test_profiles_carry_size_value_share_and_labels():
    customers = pd.DataFrame(
        {
            "recency": [0.5, 1, 6, 6],
            "frequency": [10, 8, 1, 1],
            "monetary": [100.0, 120, 20, 30],
            "segment": [0, 0, 1, 1],
        }
    )
    profiles = profile(customers).set_index("segment")
    assert profiles["size"].tolist() == [2, 2]
    assert profiles.loc[0, "value_share"] == pytest.approx(1960 / 2010)
    assert profiles.loc[0, "label"] == "recent frequent high spend"
    assert profiles.loc[1, "label"] == "lapsed occasional low spend"


@pytest.mark.spark
def test_planted_segments_are_recovered(spark, shop):
    result = segment(spark, shop_purchases(spark, shop.days))
    customers = result.customers
    truth = shop.segments.reindex(customers["customer_id"]).to_numpy()
    ari = adjusted_rand_index(truth, customers["segment"])
    print(f"k={result.k} silhouettes={result.silhouettes} ARI={ari:.3f}")
    assert result.k == 5
    assert ari >= 0.8
    assert set(customers["r_score"]) == {1, 2, 3, 4, 5}
    assert customers["rfm"].str.fullmatch(r"[1-5]{3}").all()
    assert result.profiles["size"].sum() == len(customers)
    assert result.profiles["value_share"].sum() == pytest.approx(1.0)


@pytest.mark.spark
def test_no_purchases_is_a_clear_error(spark, shop):
    from pyspark.sql import functions as F

    with pytest.raises(SegmentError, match="no purchases"):
        segment(spark, shop_purchases(spark, shop.days).where(F.lit(False)))
