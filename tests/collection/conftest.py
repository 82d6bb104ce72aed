"""Fixtures for collection tests: a demo shop on an ephemeral loopback port, a crawl policy
that allows loopback (as the embedded profile does), and one small Dask LocalCluster."""

from __future__ import annotations

import pytest

from ecomlab.collection.crawl.policy import CrawlPolicy
from ecomlab.collection.shop.catalog import build_catalog
from ecomlab.collection.shop.faults import Faults
from ecomlab.collection.shop.server import start_shop

ITEMS = 30


@pytest.fixture(scope="session")
def catalog():
    return build_catalog(max_items=ITEMS)


@pytest.fixture
def shop(catalog):
    running = start_shop(catalog, Faults())
    yield running
    running.stop()


@pytest.fixture
def policy() -> CrawlPolicy:
    return CrawlPolicy(
        allowed_hosts=frozenset({"127.0.0.1"}),
        allow_private_networks=("127.0.0.0/8",),
        requests_per_second_per_host=200,
        timeout_seconds=2,
        max_page_bytes=500_000,
        retries=3,
        backoff_seconds=0.01,
    )


@pytest.fixture(scope="session")
def dask():
    from ecomlab.collection.fanout import dask_client

    with dask_client("local", 2) as client:
        yield client
