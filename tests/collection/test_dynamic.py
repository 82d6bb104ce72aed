"""The JavaScript crawler (Node + playwright-core + Debian's Chromium) against the demo shop."""

import pytest

from ecomlab.collection.crawl.extract import ExtractionError, extract_product
from ecomlab.collection.crawl.fetcher import Fetcher
from ecomlab.collection.crawler import SiteCrawl, SiteSpec
from ecomlab.collection.dynamic.supervisor import DynamicOptions, run_dynamic
from ecomlab.coordination.inprocess import InProcessCoordinator
from ecomlab.storage.lake import LocalLake

pytestmark = pytest.mark.slow
OPTIONS = DynamicOptions(page_timeout=15)


def test_only_the_dynamic_crawler_sees_what_javascript_renders(shop, policy):
    item = next(i for i in shop.catalog.items.values() if i.promotion and len(i.reviews) > 3)
    url = f"{shop.url}/dynamic/item/{item.item_id}"
    with Fetcher(policy) as fetcher:
        html = fetcher.fetch(url).body.decode()
    assert item.promotion not in html and f"{item.price:.2f}" not in html
    with pytest.raises(ExtractionError, match=r"no \.price"):
        extract_product(url, html, "s", "own", "t")

    result = run_dynamic([url], OPTIONS, "items", [shop.url], "s", "own", "t")
    assert result.failures == []
    by_kind = {}
    for record in result.records:
        by_kind.setdefault(record["kind"], []).append(record)
    assert by_kind["price"][0]["price"] == f"{item.price:.2f}"
    assert by_kind["product"][0]["promotion"] == item.promotion
    # Reviews arrive three at a time as the page is scrolled: all of them were collected.
    assert sorted(int(r["review_id"]) for r in by_kind["review"]) == [r.review_id for r in item.reviews]


def test_a_dynamic_crawl_lands_the_same_schema_and_reports_blocked_pages(shop, policy, tmp_path, dask):
    lake = LocalLake(f"file://{tmp_path}/lake")
    site = SiteSpec(shop.url, kind="dynamic", max_items=6, name="demo-shop")
    outcome = SiteCrawl(site, policy, lake, InProcessCoordinator(tmp_path / "c"), 3, OPTIONS).run(dask, 2)
    assert outcome.frontier == 6 and outcome.failures == []
    assert outcome.records["price"] == 6 and outcome.records["product"] == 6
    assert "ods.crawl_prices" in outcome.landed
    # A page off the allowlist is aborted inside the browser and reported, not fetched.
    result = run_dynamic(["http://10.0.0.1/x"], OPTIONS, "items", [shop.url])
    assert "BLOCKED_BY_CLIENT" in result.failures[0]["reason"]


def test_a_crawler_that_dies_is_restarted_and_then_gives_up_with_a_reason(shop, tmp_path):
    broken = DynamicOptions(chromium="/bin/false", page_timeout=5, restarts=1)
    result = run_dynamic([f"{shop.url}/dynamic/item/1", f"{shop.url}/dynamic/item/2"], broken, "items", [shop.url])
    assert [f["url"].rsplit("/", 1)[1] for f in result.failures] == ["1", "2"]
    assert all("exited with code" in f["reason"] for f in result.failures)
    assert result.restarts >= 2


def test_pages_after_a_failed_one_are_crawled_whole_in_the_same_browser(shop):
    # One browser crawls every URL of a job in one tab, and a failure gives the next URL a fresh tab.
    first, last = [i for i in shop.catalog.items.values() if len(i.reviews) > 3][:2]
    urls = [
        f"{shop.url}/dynamic/item/{first.item_id}",
        "http://10.0.0.1/x",
        f"{shop.url}/dynamic/item/999999",
        f"{shop.url}/dynamic/item/{last.item_id}",
    ]
    result = run_dynamic(urls, OPTIONS, "items", [shop.url], "s", "own", "t")
    assert [f["url"] for f in result.failures] == urls[1:3]
    assert "HTTP 404" in result.failures[1]["reason"]
    assert result.pages == 4 and result.restarts == 0
    for item in (first, last):
        reviews = [r for r in result.records if r["kind"] == "review" and r["item_id"] == str(item.item_id)]
        assert sorted(int(r["review_id"]) for r in reviews) == [r.review_id for r in item.reviews]
        prices = [r["price"] for r in result.records if r["kind"] == "price" and r["item_id"] == str(item.item_id)]
        assert prices == [f"{item.price:.2f}"]
