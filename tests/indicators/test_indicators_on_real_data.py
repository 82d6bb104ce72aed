"""The indicators the public data sets support, by the same code path, against the independent computation.

Taobao UserBehavior sample: UV, PV, PV/UV, cart and buy conversion, the funnel, hourly activity.
CDNOW: new customers per month, repurchase rate, consumption amount, RFM.
"""

from __future__ import annotations

import pytest
from indicator_compare import mismatches
from indicator_independent import cdnow, taobao

from ecomlab.cleaning.engine import clean
from ecomlab.indicators.build import build, indicators_for
from ecomlab.indicators.engines import SparkEngine
from ecomlab.indicators.stage import event_days
from ecomlab.sources.importers import import_file
from ecomlab.warehouse.ods import load_ods

# Spark runs many small jobs here: allow for a busy machine.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]


def _land_and_clean(spark, lake, kind, path, dt):
    imported = import_file(kind, path, lake, dt=dt)
    load_ods(spark, lake, imported.entity, [dt])
    clean(spark, lake, tables=[imported.entity.ods_table], days=[dt], run_id=f"indicators-{kind}")


def test_taobao_indicators_match_the_independent_computation(spark, lake, settings, datasets):
    _land_and_clean(spark, lake, "taobao", datasets / "taobao-userbehavior-sample" / "UserBehavior.csv", "2034-01-01")
    days = event_days(spark, "taobao")
    assert days[0] >= "2017-11-24" and len(days) >= 9
    built = build(SparkEngine(spark), "taobao", days)
    wrong, checked = mismatches(built.rows, taobao(f"{settings.warehouse_root}/dwd.db", days))
    assert not wrong, wrong[:20]
    required = {"uv", "pv", "pv_per_uv", "cart_conversion", "buy_conversion", "funnel_visitors", "hourly_activity"}
    assert required <= checked
    assert checked == {i.id for i in indicators_for("taobao")}


def test_cdnow_indicators_match_the_independent_computation(spark, lake, settings, datasets):
    _land_and_clean(spark, lake, "cdnow", datasets / "cdnow" / "CDNOW_master.txt", "2034-01-02")
    days = event_days(spark, "cdnow")
    assert days[0] == "1997-01-31" and days[-1] == "1998-06-30"
    built = build(SparkEngine(spark), "cdnow", days)
    wrong, checked = mismatches(built.rows, cdnow(f"{settings.warehouse_root}/dwd.db", days))
    assert not wrong, wrong[:20]
    required = {"new_customers_month", "repeat_purchase_rate", "customer_consumption_amount", "rfm_avg_score"}
    assert required <= checked
    assert checked == {i.id for i in indicators_for("cdnow")}
    # January 1997 is CDNOW's first month: every customer of it is new.
    january = built.rows[(built.rows.dt == "1997-01-31") & (built.rows.indicator_id == "new_customers_month")]
    assert january.value.iloc[0] > 7000
