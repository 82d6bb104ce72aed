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
from ecomlab.indicators.dws import CdnowAdapter
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


class _WarehouseWithoutTheMasterFile(SparkEngine):
    """The session's warehouse as one where only the sample was imported: the master file's
    table (imported by another test) is hidden from the engine's table lookup, nothing else."""

    def has_table(self, name: str) -> bool:
        return name != "cdnow_purchases" and super().has_table(name)


def test_the_cdnow_sample_alone_gives_the_same_indicators_by_the_same_code_path(spark, lake, settings, datasets):
    """The 1/10 sample lands in a table of its own (cdnow_sample_purchases): with only it in the
    warehouse, the CDNOW indicators are built from it and match the independent computation over it."""
    _land_and_clean(spark, lake, "cdnow", datasets / "cdnow" / "CDNOW_sample.txt", "2034-01-03")
    engine = _WarehouseWithoutTheMasterFile(spark)
    purchases = CdnowAdapter(engine)
    assert purchases.has_table("cdnow_purchases")
    days = [
        r[0]
        for r in spark.sql(
            f"SELECT DISTINCT CAST(last_day(date) AS STRING) FROM {purchases.t('cdnow_purchases')}"
        ).collect()
    ]
    days.sort()
    assert days[0] == "1997-01-31" and days[-1] == "1998-06-30"
    built = build(engine, "cdnow", days)
    wrong, checked = mismatches(built.rows, cdnow(f"{settings.warehouse_root}/dwd.db", days, sample=True))
    assert not wrong, wrong[:20]
    assert checked == {i.id for i in indicators_for("cdnow")}
    # The sample is the 2,357 customers of the first quarter's cohort: all new by March 1997.
    new = built.rows[built.rows.indicator_id == "new_customers_month"].set_index("dt").value
    first_quarter = ["1997-01-31", "1997-02-28", "1997-03-31"]
    assert new[first_quarter].sum() == 2357
    assert new.drop(first_quarter).fillna(0).eq(0).all()
