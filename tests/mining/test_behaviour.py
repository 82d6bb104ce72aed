"""User behaviour: sessions, funnel, paths, activity and cohorts on the shop and on Taobao."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecomlab.mining.behaviour import analyse, sessionise, shop_clickstream, taobao_clickstream


@pytest.mark.spark
def test_sessions_split_at_thirty_minutes_of_inactivity(spark):
    rows = [
        (1, datetime(2026, 11, 1, 10, 0), "view", "home"),
        (1, datetime(2026, 11, 1, 10, 29), "view", "product"),
        (1, datetime(2026, 11, 1, 11, 0), "cart", "product"),  # 31 minutes later: a new session
        (1, datetime(2026, 11, 1, 11, 0), "buy", "buy"),
        (2, datetime(2026, 11, 1, 10, 5), "view", "home"),
    ]
    clicks = spark.createDataFrame(rows, "user long, ts timestamp, action string, step string")
    sessions = sessionise(clicks, 30).orderBy("user", "ts", "seq").toPandas()
    assert sessions["session"].tolist() == ["1-1", "1-1", "1-2", "1-2", "2-1"]
    assert sessions["seq"].tolist() == [1, 2, 1, 2, 1]
    assert sessions["action"].tolist()[3] == "buy"  # a buy follows the click of the same second


@pytest.mark.spark
def test_shop_behaviour_follows_the_simulated_shop(spark, shop):
    result = analyse(shop_clickstream(spark, shop.days))
    funnel = result.funnel.set_index("stage")
    # Every stage is reached by fewer users than the one before it.
    assert funnel.loc["view", "users"] > funnel.loc["fav_or_cart", "users"] > funnel.loc["buy", "users"] > 0
    # Purchases come after cart and checkout pages.
    top = result.paths.iloc[0]
    assert top["path"].endswith("cart > checkout > buy")  # the order is placed at checkout
    assert result.paths["purchases"].is_monotonic_decreasing
    hours = result.activity[result.activity["kind"] == "hour"].set_index("slot")["events"]
    # Planted seasonality: the evening peak (20:00 UTC) is far busier than the night (03:00 UTC).
    assert hours.loc[20] > 4 * hours.loc[3]
    weekday = result.activity[result.activity["kind"] == "weekday"]
    assert set(weekday["slot"]) == set(range(1, 8))
    retention = result.retention
    assert (retention[retention["period"] == 0]["retention"] == 1.0).all()
    first = retention[retention["cohort"] == shop.days[0]].set_index("period")
    assert 0 < first.loc[1, "retention"] < 1
    assert first["users"].nunique() == 1


@pytest.mark.spark
def test_taobao_behaviour(spark, settings, lake, datasets):
    from ecomlab.cleaning.engine import clean
    from ecomlab.sources.importers import import_file
    from ecomlab.warehouse.ods import load_many

    imported = import_file("taobao", str(datasets / "taobao-userbehavior-sample" / "UserBehavior.csv"), lake)
    load_many(spark, lake, {imported.entity: [imported.dt]})
    clean(spark, lake, tables=["taobao_user_behavior"], days=[imported.dt], run_id="mining-taobao")
    result = analyse(taobao_clickstream(spark))
    funnel = result.funnel.set_index("stage")
    total = spark.table("dwd.taobao_user_behavior").count()
    assert result.activity[result.activity["kind"] == "hour"]["events"].sum() == total
    assert funnel.loc["view", "users"] >= funnel.loc["fav_or_cart", "users"] >= funnel.loc["buy", "users"] > 0
    assert all(path.endswith("buy") for path in result.paths["path"])
    assert result.sessions > spark.table("dwd.taobao_user_behavior").select("user_id").distinct().count()
