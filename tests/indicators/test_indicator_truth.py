"""The indicators recover what the simulator planted: campaign uplift and seasonality."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

# Spark runs many small jobs here: allow for a busy machine.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]


def test_campaign_uplift_is_recovered_within_poisson_noise(shop_dwd, shop_built):
    rows = shop_built.rows
    uplift = rows[(rows.indicator_id == "campaign_uplift") & rows.value.notna()]
    visits = rows[(rows.indicator_id == "campaign_visits") & (rows.dimension == "campaign")]
    planted = {c["campaign_id"]: c for c in shop_dwd.truth["campaign_uplift"]}
    z = []
    for row in uplift.itertuples(index=False):
        campaign = planted[int(row.dimension_value)]
        assert campaign["start_date"] <= row.dt <= campaign["end_date"]
        x = visits[(visits.dt == row.dt) & (visits.dimension_value == row.dimension_value)].value.iloc[0]
        y = x / (row.value - 1)  # the channel's visits without a campaign
        se = (row.value - 1) * math.sqrt(1 / x + 1 / y)
        z.append((row.value - campaign["planted_uplift"]) / se)
    assert len(z) >= 3, "too few campaign days to test"
    # Each campaign-day within noise at a 1% false-alarm rate for the whole family of days
    # (Bonferroni), and no bias over all of them.
    bound = norm.ppf(1 - 0.01 / (2 * len(z)))
    assert max(abs(v) for v in z) < bound, (bound, z)
    assert abs(np.mean(z)) * math.sqrt(len(z)) < 3, z


def test_hourly_and_weekday_seasonality_correlate_with_the_truth(shop_dwd, shop_built):
    rows = shop_built.rows
    hourly = rows[rows.indicator_id == "hourly_activity"].groupby("dimension_value").value.sum()
    observed = np.array([hourly.get(str(h), 0.0) for h in range(24)])
    truth = np.array(shop_dwd.truth["seasonality"]["hourly_utc"])
    assert np.corrcoef(observed, truth)[0, 1] > 0.95

    from datetime import date

    total = rows[(rows.indicator_id == "visits") & (rows.dimension == "")].set_index("dt").value
    campaign = rows[(rows.indicator_id == "campaign_visits") & (rows.dimension == "")].set_index("dt").value
    baseline = total - campaign.reindex(total.index).fillna(0)
    weekday = shop_dwd.truth["seasonality"]["weekday_mon_to_sun"]
    expected = [weekday[date.fromisoformat(d).weekday()] for d in baseline.index]
    assert np.corrcoef(baseline.to_numpy(), expected)[0, 1] > 0.95
