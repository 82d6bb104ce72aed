"""Whole static crawls of the demo shop on loopback, fanned out on Dask, with faults on."""

import json
import threading

import pytest

from ecomlab.collection import records as R
from ecomlab.collection.crawler import SiteCrawl, SiteSpec
from ecomlab.collection.shop.faults import Faults
from ecomlab.coordination import LockBusyError
from ecomlab.coordination.inprocess import InProcessCoordinator
from ecomlab.storage.lake import LocalLake
from ecomlab.storage.raw_zone import RawZone

ALL_FAULTS = Faults(
    transient_rate=0.3,
    broken_rate=0.1,
    reset_rate=0.1,
    malformed_rate=0.2,
    redirect_loop_rate=0.1,
    huge_rate=0.1,
    huge_bytes=2_000_000,
)


@pytest.fixture
def lake(tmp_path):
    return LocalLake(f"file://{tmp_path}/lake")


@pytest.fixture
def coordinator(tmp_path):
    return InProcessCoordinator(tmp_path / "coordination")


def landed_rows(lake, kind):
    zone = RawZone(lake)
    entity = R.ENTITIES[kind]
    rows = []
    for day in zone.days(entity):
        for manifest in zone.batches(entity, day):
            rows += [json.loads(line) for line in lake.read_bytes(manifest.file_path).decode().splitlines()]
    return rows


def test_with_every_fault_on_each_page_is_crawled_or_failed_with_a_reason(shop, policy, lake, coordinator, dask):
    shop.set_faults(ALL_FAULTS)
    site = SiteSpec(shop.url, name="demo-shop")
    outcome = SiteCrawl(site, policy, lake, coordinator, chunk_size=4).run(dask, 2)

    items = [f"/item/{i}" for i in shop.catalog.items]
    listed = {f["url"].removeprefix(shop.url) for f in outcome.failures if "/category/" in f["url"]}
    crawled = {r["item_id"] for r in landed_rows(lake, "price")}
    failed = {f["url"].removeprefix(shop.url): f["reason"] for f in outcome.failures}
    assert all(reason for reason in failed.values())
    # Items behind a failed listing page are not found; every item found is crawled or failed.
    assert outcome.frontier == len(crawled) + len([u for u in failed if u.startswith("/item/")])
    assert not ({f"/item/{i}" for i in crawled} & set(failed))
    # Transient faults were retried through; permanent faults failed with their reason.
    for path in items:
        if ALL_FAULTS.hits("broken", path) and path in failed:
            assert "HTTP 500" in failed[path]
        if ALL_FAULTS.hits("redirect_loop", path) and not ALL_FAULTS.hits("broken", path) and path in failed:
            assert "redirect loop" in failed[path]
    transient_ok = [p for p in items if ALL_FAULTS.hits("transient", p) and p.rsplit("/", 1)[1] in crawled]
    assert transient_ok, "no transient page was crawled: retries did not work"
    assert any(ALL_FAULTS.hits("malformed", f"/item/{i}") for i in crawled)
    # Prices are the shop's; nothing is duplicated.
    for row in landed_rows(lake, "price"):
        assert row["price"] == f"{shop.catalog.items[int(row['item_id'])].price:.2f}"
    for kind in R.KIND_FIELDS:
        keys = [R.record_key({"kind": kind, **row}) for row in landed_rows(lake, kind)]
        assert len(keys) == len(set(keys)), kind
    assert listed == {u for u in failed if u.startswith("/category/")}
    assert coordinator.load_checkpoint(f"crawl-static-{site.key}") is None


def test_a_clean_crawl_gets_every_item_and_landing_again_stores_nothing(shop, policy, lake, coordinator, dask):
    site = SiteSpec(shop.url, role="competitor", name="rival")
    outcome = SiteCrawl(site, policy, lake, coordinator, chunk_size=5).run(dask, 2)
    assert outcome.failures == []
    assert sorted(int(r["item_id"]) for r in landed_rows(lake, "competitor_price")) == sorted(shop.catalog.items)
    assert landed_rows(lake, "price") == []
    assert outcome.records["review"] == sum(len(i.reviews) for i in shop.catalog.items.values())
    # Every item page was fetched once.
    assert all(shop.state.requests[f"/item/{i}"] == 1 for i in shop.catalog.items)


def test_two_crawls_of_one_site_never_overlap(shop, policy, lake, coordinator, dask):
    site = SiteSpec(shop.url)
    shop.set_faults(Faults(slow_ms=150))
    started, errors = threading.Event(), []

    def first():
        def note(index, result):
            started.set()

        try:
            SiteCrawl(site, policy, lake, coordinator, chunk_size=2).run(dask, 2, on_chunk=note)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(60)
    # The same site from another coordinator handle (another process would see the same lock file).
    other = InProcessCoordinator(coordinator.root)
    with pytest.raises(LockBusyError, match="site-"):
        SiteCrawl(site, policy, lake, other, chunk_size=2).run(dask, 2)
    thread.join()
    assert errors == []


@pytest.mark.slow
def test_a_crawl_fans_out_to_a_configured_scheduler_with_process_workers(shop, policy, lake, coordinator):
    """The local/cluster path: a scheduler at an address, workers in other processes (here on loopback)."""
    from dask.distributed import LocalCluster

    from ecomlab.collection.fanout import dask_client

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        with dask_client(cluster.scheduler_address) as client:
            outcome = SiteCrawl(SiteSpec(shop.url), policy, lake, coordinator, chunk_size=5).run(client, 2)
            workers_used = {w for w, tasks in client.has_what().items() if tasks} | set(
                client.scheduler_info()["workers"]
            )
    assert outcome.failures == [] and outcome.records["price"] == len(shop.catalog.items)
    assert len(workers_used) == 2


def test_nothing_of_a_crawl_listens_beyond_loopback(shop, dask):
    import ipaddress

    import psutil

    listening = [c.laddr.ip for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening, "expected the shop and the Dask cluster to listen"
    assert all(ipaddress.ip_address(ip).is_loopback for ip in listening), listening
