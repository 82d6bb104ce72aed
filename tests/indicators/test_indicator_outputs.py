"""ADS and mart outputs are idempotent per day; late data and empty days give nulls with a reason."""

from __future__ import annotations

import pytest
from rich.console import Console

from ecomlab.indicators.ads import ADS_TABLE, export_to_mart, read_ads, write_ads
from ecomlab.indicators.build import NO_DATA, build
from ecomlab.indicators.engines import DuckDBEngine, SparkEngine
from ecomlab.indicators.view import show
from ecomlab.mart import Mart

# Spark runs many small jobs here: allow for a busy machine.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]


def test_ads_and_mart_hold_each_day_once_after_repeated_writes(spark, shop_built, tmp_path):
    rows = shop_built.rows
    write_ads(spark, rows)
    write_ads(spark, rows)
    day = shop_built.days[1]
    stored = read_ads(spark, "shop", day)
    assert len(stored) == (rows.dt == day).sum()
    count = spark.sql(f"SELECT count(*) FROM {ADS_TABLE} WHERE dataset = 'shop'").first()[0]
    assert count == len(rows)

    mart = Mart(f"sqlite:///{tmp_path / 'mart.db'}")
    export_to_mart(mart, rows)
    export_to_mart(mart, rows)
    back = mart.read("SELECT * FROM indicator_daily WHERE dataset = 'shop'")
    assert len(back) == len(rows)
    merged = back.merge(rows, on=["dt", "indicator_id", "dimension", "dimension_value"], suffixes=("_m", ""))
    assert len(merged) == len(rows)
    assert ((merged.value_m - merged.value).abs().fillna(0) < 1e-9).all()
    assert (merged.value_m.isna() == merged.value.isna()).all()
    assert back[back.value.isna()].null_reason.notna().all()

    console = Console(record=True, width=200)
    show(console, back[back.dt == day], f"shop indicators on {day}")
    text = console.export_text()
    assert "Unique visitors (UV)" in text and "Gross profit margin" in text


def test_late_and_missing_days_give_null_with_a_reason(spark, shop_dwd):
    last = shop_dwd.days[-1]
    late, empty = "2024-05-05", "2024-05-06"
    # The last day's events again as a later day whose other tables have not arrived yet
    # (through pandas: Spark refuses to overwrite a table it reads in the same statement).
    table = spark.table("dwd.shop_events")
    copy = table.where(f"dt = '{last}'").toPandas().assign(dt=late)
    spark.createDataFrame(copy, schema=table.schema).write.insertInto("dwd.shop_events", overwrite=True)
    adaptive = spark.conf.get("spark.sql.adaptive.enabled")
    try:
        # The days come from the partitions: both engines see the late day, and only the days with rows.
        partitions = SparkEngine(spark).partition_days("shop_events")
        assert partitions == {*shop_dwd.days, late}
        assert DuckDBEngine(shop_dwd.dwd_root).partition_days("shop_events") == partitions
        built = build(SparkEngine(spark), "shop", [late, empty])
    finally:
        spark.sql(f"ALTER TABLE dwd.shop_events DROP IF EXISTS PARTITION (dt = '{late}')")
    assert late not in DuckDBEngine(shop_dwd.dwd_root).partition_days("shop_events")
    # The build tunes the shared session for itself only.
    assert spark.conf.get("spark.sql.adaptive.enabled") == adaptive
    rows = built.rows.set_index(["dt", "indicator_id", "dimension", "dimension_value"])
    assert rows.loc[(late, "uv", "", "")].value > 0
    payment = rows.loc[(late, "payment_amount", "", "")]
    assert payment.value != payment.value and payment.null_reason.startswith("late data: dwd.shop_payments")
    assert rows.loc[(empty, "uv", "", "")].null_reason == NO_DATA
    empty_rows = built.rows[built.rows.dt == empty]
    assert empty_rows[empty_rows.value.isna()].null_reason.notna().all()
    assert len(empty_rows[empty_rows.value.isna()]) >= 60
