import pytest
from starlette.testclient import TestClient

from ecomlab.collection.crawl.extract import ExtractionError, extract_listing, extract_product
from ecomlab.collection.shop.app import ShopState, create_app
from ecomlab.collection.shop.catalog import Catalog, Item, Review, build_catalog
from ecomlab.collection.shop.faults import Faults
from ecomlab.collection.shop.server import check_bind_host


@pytest.fixture
def client(catalog):
    return TestClient(create_app(ShopState(catalog)))


def test_listings_paginate_over_every_item_exactly_once(client, catalog):
    found = []
    for category in catalog.categories:
        url = f"http://testserver/category/{category}"
        while url:
            page = extract_listing(url, client.get(url).text)
            found += page.items
            url = next((link for link in page.links if "page=" in link and link > url), None)
    assert sorted(found) == sorted(f"http://testserver/item/{i}" for i in catalog.items)
    assert len(found) == len(set(found))


def test_product_pages_carry_the_catalog_values(client, catalog):
    item = next(i for i in catalog.items.values() if len(i.reviews) >= 2)
    records = extract_product(
        f"http://testserver/item/{item.item_id}", client.get(f"/item/{item.item_id}").text, "demo", "own", "t"
    )
    by_kind = {}
    for record in records:
        by_kind.setdefault(record["kind"], []).append(record)
    assert by_kind["price"][0]["price"] == f"{item.price:.2f}"
    assert by_kind["product"][0]["title"] == item.title
    assert by_kind["product"][0]["stock"] == str(item.stock)
    assert [r["review_id"] for r in by_kind["review"]] == [str(r.review_id) for r in item.reviews]


def test_a_competitor_sells_the_same_items_at_its_own_prices(catalog):
    rival = build_catalog(max_items=len(catalog.items), competitor=1)
    assert rival.site != catalog.site
    assert rival.items.keys() == catalog.items.keys()
    assert sum(rival.items[i].price != catalog.items[i].price for i in catalog.items) > len(catalog.items) // 2
    page = TestClient(create_app(ShopState(rival))).get("/item/1").text
    kinds = {r["kind"] for r in extract_product("http://x/item/1", page, rival.site, "competitor", "t")}
    assert "competitor_price" in kinds and "price" not in kinds


def test_text_is_escaped_in_every_page():
    evil = "<script>alert(1)</script>"
    review = Review(1, 5, '"><img src=x>', evil, "2026-01-01")
    item = Item(1, evil, 1, evil, "b", 1.0, 1.0, 3, None, (review,))
    client = TestClient(create_app(ShopState(Catalog("s<b>", {1: evil}, {1: item}))))
    for path in ("/", "/category/1", "/item/1"):
        body = client.get(path).text
        assert "<script>alert" not in body and "&lt;script&gt;" in body, path
    assert '"><img' not in client.get("/item/1").text


def test_malformed_pages_still_yield_their_records_and_a_page_without_price_is_an_error(catalog):
    faults = Faults(malformed_rate=1.0)
    client = TestClient(create_app(ShopState(catalog, faults)))
    body = client.get("/item/2").text
    assert "</li>" not in body and "unterminated" in body
    records = extract_product("http://x/item/2", body, "s", "own", "t")
    assert {"product", "price"} <= {r["kind"] for r in records}
    with pytest.raises(ExtractionError, match=r"no \.price"):
        extract_product("http://x/dynamic/item/2", client.get("/dynamic/item/2").text, "s", "own", "t")


def test_faults_are_switched_at_run_time_and_bad_settings_are_refused(client):
    assert client.post("/admin/faults", json={"broken_rate": 1}).json()["broken_rate"] == 1
    assert client.get("/item/1").status_code == 500
    answer = client.post("/admin/faults", json={"broken_rate": 7})
    assert answer.status_code == 400 and "broken_rate" in answer.text
    with pytest.raises(ValueError, match="name=value"):
        Faults.from_query("slow")


def test_robots_txt_and_loopback_only():
    client = TestClient(create_app(ShopState(build_catalog(max_items=5))))
    assert "Disallow: /admin/" in client.get("/robots.txt").text
    with pytest.raises(ValueError, match="loopback only"):
        check_bind_host("0.0.0.0")
    assert check_bind_host("0.0.0.0", allow_public=True) == "0.0.0.0"
