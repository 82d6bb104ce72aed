"""A crawl killed midway resumes from its ZooKeeper checkpoint: no refetch, no duplicate.

The first crawl runs as `ecomlab collect` in a subprocess (local profile, real ZooKeeper),
killed with SIGKILL once the checkpoint shows finished chunks; the resumed crawl runs here.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecomlab.collection import records as R
from ecomlab.collection.crawler import SiteSpec
from ecomlab.collection.service import crawl_sites
from ecomlab.collection.shop.faults import Faults
from ecomlab.coordination import LockBusyError
from ecomlab.coordination.zookeeper import ZooKeeperCoordinator
from ecomlab.settings import load_settings
from ecomlab.storage.lake import LocalLake
from ecomlab.storage.raw_zone import RawZone

pytestmark = pytest.mark.slow
ECOMLAB = Path(sys.executable).with_name("ecomlab")


def local_env(home: Path, zookeeper) -> dict[str, str]:
    return {
        **os.environ,
        "ECOMLAB_PROFILE": "local",
        "ECOMLAB_HOME": str(home),
        "ECOMLAB_ZOOKEEPER_HOSTS": zookeeper.hosts,
        "ECOMLAB_COLLECTION__DASK_SCHEDULER": "local",
        "ECOMLAB_COLLECTION__DASK_WORKERS": "1",
        "ECOMLAB_COLLECTION__CHUNK_SIZE": "2",
        "ECOMLAB_COLLECTION__REQUESTS_PER_SECOND_PER_HOST": "100",
        "ECOMLAB_COLLECTION__ZOOKEEPER_SESSION_SECONDS": "2",
    }


def test_a_killed_crawl_resumes_without_refetching_or_duplicating(shop, zookeeper, tmp_path, monkeypatch):
    shop.set_faults(Faults(slow_ms=400))
    env = local_env(tmp_path / "home", zookeeper)
    site = SiteSpec(shop.url, max_items=None)
    checkpoint_name = f"crawl-static-{site.key}"
    child = subprocess.Popen(
        [str(ECOMLAB), "collect", "--url", shop.url, "--no-load", "--max-items", "30"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = ZooKeeperCoordinator(zookeeper.hosts, session_timeout=2)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = watcher.load_checkpoint(checkpoint_name)
            if state and len(state["done"]) >= 3:
                break
            assert child.poll() is None, "the crawl ended before it could be killed"
            time.sleep(0.05)
        # While it runs, the crawler is in the service registry and holds the site's lock.
        running = watcher.list("crawler")
        assert [e.meta["site"] for e in running] == [shop.url]
        with pytest.raises(LockBusyError), watcher.lock(f"site-{site.key}"):
            pass  # a second crawl of the site would stop here
        child.send_signal(signal.SIGKILL)
        child.wait()
        before = watcher.load_checkpoint(checkpoint_name)
        assert before is not None and 3 <= len(before["done"]) < before["chunks"]
        frontier = json.loads((tmp_path / "home/lake/crawl-work" / before["crawl_id"] / "frontier.json").read_text())
        done_urls = {u for i in before["done"] for u in frontier["urls"][i * 2 : i * 2 + 2]}
        counts_at_kill = dict(shop.state.requests)

        for key, value in env.items():
            if key.startswith("ECOMLAB_"):
                monkeypatch.setenv(key, value)
        settings = load_settings("local")
        lake = LocalLake(settings.lake_root)
        # The killed crawler's lock and registry entry go with its ZooKeeper session; the resumed crawl waits.
        collected = crawl_sites(
            settings, lake, [SiteSpec(shop.url, max_items=30)], coordinator=watcher, lock_timeout=30
        )
        watcher_entries_after = watcher.list("crawler")
    finally:
        if child.poll() is None:
            child.kill()
        watcher.close()

    assert watcher_entries_after == []
    outcome = collected.outcomes[0]
    assert outcome.resumed and outcome.crawl_id == before["crawl_id"]
    assert outcome.chunks_resumed >= len(before["done"])
    # Pages the checkpoint had were not fetched again; every item was fetched and landed once.
    for url in done_urls:
        path = url.removeprefix(shop.url)
        assert shop.state.requests[path] == counts_at_kill[path] == 1, path
    zone = RawZone(lake)
    prices = [
        json.loads(line)
        for m in zone.batches(R.ENTITIES["price"], outcome.dt)
        for line in lake.read_bytes(m.file_path).decode().splitlines()
    ]
    assert sorted(int(p["item_id"]) for p in prices) == sorted(shop.catalog.items)
    assert outcome.failures == []
