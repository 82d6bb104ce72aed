"""Indicators from crawled pages: hand-written crawl records through raw zone, ODS and DWD.

The records are written here (no crawl is needed to test the arithmetic), so the expected
values are worked out by hand below.
"""

from __future__ import annotations

import json

import pytest

from ecomlab.cleaning.engine import clean
from ecomlab.collection import records as R
from ecomlab.indicators.build import build
from ecomlab.indicators.engines import SparkEngine
from ecomlab.storage.raw_zone import RawZone
from ecomlab.warehouse.ods import load_ods

# Spark runs many small jobs here: allow for a busy machine.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(2400)]

DAY = "2035-03-01"
OWN, RIVAL = "demo-shop", "rival"
OWN_PRICES = {1: 10.0, 2: 20.0, 3: 30.0, 4: 40.0}
RIVAL_PRICES = {1: 12.0, 2: 20.0, 3: 25.0}  # item 4 is not sold by the rival
# (site, item) -> (rating, stock); each page seen by both crawlers (a duplicate must count once)
PRODUCTS = {(OWN, 1): (4.0, 0), (OWN, 2): (5.0, 3), (OWN, 3): (3.0, 0), (OWN, 4): (4.0, 9), (RIVAL, 1): (2.0, 1)}
REVIEWS = {(OWN, 1): [11, 12, 13], (OWN, 2): [21], (RIVAL, 1): [31, 32]}


def _write(tmp_path, lake, kind: str, rows: list[dict]) -> None:
    path = tmp_path / f"{kind}.jsonl"
    with path.open("w") as out:
        for n, row in enumerate(rows):
            record = {**row, "crawled_at": f"{DAY} 10:00:{n % 60:02d}"}
            out.write(json.dumps({c: record.get(c) for c in R.KIND_FIELDS[kind]}) + "\n")
    RawZone(lake).land(path, R.ENTITIES[kind], DAY, batch_id=f"hand-{kind}", window=(DAY, DAY))


def test_crawl_indicators_from_hand_written_records(spark, lake, tmp_path):
    both = ("static", "dynamic")
    _write(
        tmp_path,
        lake,
        "price",
        [
            {"site": OWN, "item_id": i, "price": f"{p:.2f}", "currency": "CNY", "crawler": c}
            for i, p in OWN_PRICES.items()
            for c in both
        ],
    )
    _write(
        tmp_path,
        lake,
        "competitor_price",
        [
            {"site": RIVAL, "item_id": i, "price": f"{p:.2f}", "currency": "CNY", "crawler": c}
            for i, p in RIVAL_PRICES.items()
            for c in both
        ],
    )
    _write(
        tmp_path,
        lake,
        "product",
        [
            {
                "site": s,
                "item_id": i,
                "title": f"item {i}",
                "rating": r,
                "stock": k,
                "url": f"http://127.0.0.1/item/{i}",
                "crawler": c,
            }
            for (s, i), (r, k) in PRODUCTS.items()
            for c in both
        ],
    )
    _write(
        tmp_path,
        lake,
        "review",
        [
            {"site": s, "item_id": i, "review_id": rid, "rating": 4, "crawler": c}
            for (s, i), ids in REVIEWS.items()
            for rid in ids
            for c in both
        ],
    )
    for entity in R.ALL:
        load_ods(spark, lake, entity, DAY)
    clean(spark, lake, tables=[e.ods_table for e in R.ALL], days=[DAY], run_id="crawl-indicators")

    rows = build(SparkEngine(spark), "crawl", [DAY]).rows
    value = {(r.indicator_id, r.dimension_value): r.value for r in rows.itertuples(index=False)}
    matched = [(OWN_PRICES[i], RIVAL_PRICES[i]) for i in RIVAL_PRICES]
    assert value[("crawl_price_index", "")] == pytest.approx(sum(100 * o / c for o, c in matched) / 3, rel=1e-12)
    assert value[("crawl_price_gap", "")] == pytest.approx((-2 + 0 + 5) / 3, rel=1e-12)
    assert value[("crawl_cheaper_share", "")] == pytest.approx(1 / 3, rel=1e-12)
    assert value[("crawl_rating", OWN)] == pytest.approx(4.0, rel=1e-12)
    assert value[("crawl_rating", RIVAL)] == pytest.approx(2.0, rel=1e-12)
    assert value[("crawl_reviews_per_item", OWN)] == pytest.approx(4 / 4, rel=1e-12)
    assert value[("crawl_reviews_per_item", RIVAL)] == pytest.approx(2 / 1, rel=1e-12)
    assert value[("crawl_stockout_share", OWN)] == pytest.approx(2 / 4, rel=1e-12)
    assert value[("crawl_stockout_share", RIVAL)] == 0
    assert rows.value.notna().all()
