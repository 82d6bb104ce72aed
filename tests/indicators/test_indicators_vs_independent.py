"""Every indicator built by the Spark SQL equals an independent pandas/DuckDB computation."""

from __future__ import annotations

import pytest
from indicator_compare import mismatches
from indicator_independent import shop

from ecomlab.indicators.build import indicators_for

# Spark runs many small jobs here: allow for a busy machine.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]


def test_every_shop_indicator_matches_the_independent_computation(shop_dwd, shop_built):
    expected = shop(shop_dwd.dwd_root, shop_dwd.days)
    wrong, checked = mismatches(shop_built.rows, expected)
    assert not wrong, wrong[:20]
    # Each indicator of the catalog for the shop has at least one value that was compared,
    # except the restock lead time when this short simulation had no restock: then every
    # value of it must be null with a reason.
    uncompared = {i.id for i in indicators_for("shop")} - checked
    assert uncompared <= {"restock_lead_time"}, uncompared
    for indicator_id in uncompared:
        values = shop_built.rows[shop_built.rows.indicator_id == indicator_id]
        assert len(values) and values.value.isna().all() and values.null_reason.notna().all(), values


def test_values_are_finite_or_null_with_a_reason(shop_built):
    rows = shop_built.rows
    nulls = rows[rows.value.isna()]
    assert nulls.null_reason.notna().all()
    assert rows[rows.value.notna()].null_reason.isna().all()
    assert rows.value.dropna().abs().lt(float("inf")).all()
    # The known undefined cases of a 4-day window say why.
    first = shop_built.days[0]
    expansion = rows[(rows.indicator_id == "market_expansion_rate") & (rows.dt == first)]
    assert expansion.null_reason.tolist() == ["no data to compare with"]
    month_cohort = rows[(rows.indicator_id == "retention_rate") & (rows.dimension_value == "30")]
    assert set(month_cohort.null_reason) == {"division by zero"}
