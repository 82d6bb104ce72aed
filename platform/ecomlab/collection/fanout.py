"""The crawl frontier split across Dask workers.

Each task fetches one chunk of product pages and returns its records and failures;
the driver keeps the checkpoint. Embedded: a LocalCluster of thread workers in this
process (crawling waits on the network, so threads do; gentle on a small machine).
Local and cluster: the configured scheduler, whose workers run the same package.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from ecomlab.collection.crawl.extract import ExtractionError, extract_product
from ecomlab.collection.crawl.fetcher import Fetcher, FetchFailed
from ecomlab.collection.crawl.policy import CrawlPolicy


@contextmanager
def dask_client(scheduler: str = "local", workers: int = 2, processes: bool = False):
    """A Dask client: a fresh LocalCluster ("local", closed afterwards) or the scheduler at an address."""
    from dask.distributed import Client, LocalCluster

    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            # Scheduler and workers serve HTTP (health, metrics) even without a dashboard: loopback only.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            worker_dashboard_address="127.0.0.1:0",
            # Thread workers talk in-process; process workers on loopback only.
            **({"host": "127.0.0.1"} if processes else {}),
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    else:
        client = Client(scheduler, timeout=30)
        try:
            yield client
        finally:
            client.close()


def static_chunk(urls: list[str], policy: CrawlPolicy, site: str, role: str, crawled_at: str, workers: int) -> dict:
    """Fetch and extract product pages: {'records', 'failures', 'pages', 'attempts'}."""
    records, failures, attempts = [], [], 0
    with Fetcher(policy, workers=workers) as fetcher:
        for url in urls:
            try:
                page = fetcher.fetch(url)
                attempts += page.attempts
                html = page.body.decode("utf-8", errors="replace")
                records.extend(extract_product(url, html, site, role, crawled_at))
            except (FetchFailed, ExtractionError) as exc:
                failures.append({"url": url, "reason": str(exc)})
    return {"records": records, "failures": failures, "pages": len(urls), "attempts": attempts, "worker": _worker()}


def dynamic_chunk(urls: list[str], options, allowed_origins: list[str], site: str, role: str, crawled_at: str) -> dict:
    """Render product pages with the Node crawler: same result shape as static_chunk."""
    from ecomlab.collection.dynamic.supervisor import run_dynamic

    result = run_dynamic(urls, options, "items", allowed_origins, site, role, crawled_at)
    return {
        "records": result.records,
        "failures": result.failures,
        "pages": len(urls),
        "attempts": result.pages,
        "restarts": result.restarts,
        "worker": _worker(),
    }


def _worker() -> str:
    """The Dask worker running this task (for the crawl report's per-worker page counts)."""
    from dask.distributed import get_worker

    try:
        return get_worker().address
    except ValueError:  # called outside a worker
        return "driver"


def now_iso() -> str:
    from datetime import UTC

    return datetime.now(UTC).isoformat(timespec="seconds")
