"""Crawled records -> raw zone (JSON lines + manifest) -> ODS -> cleaning into DWD."""

import json

import pytest

from ecomlab.collection import records as R
from ecomlab.collection.crawler import SiteCrawl, SiteSpec
from ecomlab.coordination.inprocess import InProcessCoordinator
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.ods import load_ods

pytestmark = pytest.mark.spark
CRAWL_TABLES = [e.ods_table for e in R.ALL]


def test_crawled_records_reach_dwd_and_a_broken_line_is_quarantined(shop, policy, lake, spark, dask, tmp_path):
    from ecomlab.cleaning.engine import clean

    coordinator = InProcessCoordinator(tmp_path / "c")
    own = SiteCrawl(SiteSpec(shop.url, name="demo-shop"), policy, lake, coordinator, 8).run(dask, 2)
    rival = SiteCrawl(SiteSpec(shop.url, role="competitor", name="rival"), policy, lake, coordinator, 8).run(dask, 2)
    day = own.dt
    # A hand-landed batch with one good and one broken line: nothing may be dropped on the way.
    good = {"site": "x", "item_id": "1", "price": "9.90", "currency": "CNY", "crawler": "static"}
    broken = tmp_path / "prices.jsonl"
    broken.write_text(json.dumps({**good, "crawled_at": f"{day} 00:00:01"}) + "\n" + '{"site": "x", "price": \n')
    RawZone(lake).land(broken, R.ENTITIES["price"], day, batch_id="hand-made", window=(day, day))

    loads = {e.ods_table: load_ods(spark, lake, e, day)[0] for e in R.ALL}
    assert loads["crawl_prices"].rows_out == own.records["price"] + 2
    assert loads["crawl_prices"].malformed == 1
    assert loads["crawl_competitor_prices"].rows_out == rival.records["competitor_price"]
    assert loads["crawl_reviews"].rows_out == own.records["review"] + rival.records["review"]

    result = clean(spark, lake, tables=CRAWL_TABLES, days=[day])
    tables = result.report["tables"]
    assert tables["crawl_prices"]["dwd_rows"] == own.records["price"] + 1
    assert tables["crawl_prices"]["quarantined"] == 1
    assert tables["crawl_competitor_prices"]["quarantined"] == 0
    typed = spark.sql(f"SELECT item_id, price FROM dwd.crawl_competitor_prices WHERE dt = '{day}'").collect()
    assert {r.item_id: float(r.price) for r in typed} == {i: item.price for i, item in shop.catalog.items.items()}
    reason = spark.sql(f"SELECT * FROM dwd.quarantine WHERE table_name = 'crawl_prices' AND dt = '{day}'").collect()
    assert len(reason) == 1
