"""Collection as one call: crawl sites (or the demo shop and a competitor), land, load ODS.

Used by `ecomlab collect` and by the main job's crawl stage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from ecomlab.collection.crawl.policy import CrawlPolicy
from ecomlab.collection.crawler import CrawlOutcome, SiteCrawl, SiteSpec
from ecomlab.progress import Progress
from ecomlab.settings import Settings
from ecomlab.sources.base import RawEntity
from ecomlab.storage.lake import Lake

log = logging.getLogger(__name__)


def dynamic_options(settings: Settings, workers: int = 1):
    from ecomlab.collection.dynamic.supervisor import DynamicOptions

    c = settings.collection
    return DynamicOptions(
        chromium=c.chromium_path,
        node=c.node_path,
        user_agent=c.user_agent,
        page_timeout=c.page_timeout_seconds,
        # Each worker's browser keeps to its share of the per-host rate.
        interval=workers / c.requests_per_second_per_host,
    )


@contextmanager
def demo_shops(max_items: int | None = 24, faults=None, competitor: int = 0) -> Iterator[list[SiteSpec]]:
    """The demo shop and a competitor on ephemeral loopback ports, as crawl targets; stopped on exit."""
    from ecomlab.collection.shop.catalog import build_catalog
    from ecomlab.collection.shop.server import start_shop

    with ExitStack() as stack:
        own = stack.enter_context(start_shop(build_catalog(max_items=max_items), faults))
        rival = stack.enter_context(start_shop(build_catalog(max_items=max_items, competitor=competitor), faults))
        yield [
            SiteSpec(own.url, role="own", name=own.catalog.site, max_items=max_items),
            SiteSpec(rival.url, role="competitor", name=rival.catalog.site, max_items=max_items),
        ]


@dataclass
class Collected:
    outcomes: list[CrawlOutcome]

    @property
    def plan(self) -> dict[RawEntity, list[str]]:
        """ODS tables and days to load, as the pipeline's stages take them."""
        from ecomlab.collection.records import ENTITIES

        by_table = {e.qualified_ods_table: e for e in ENTITIES.values()}
        plan: dict[RawEntity, set[str]] = {}
        for outcome in self.outcomes:
            for table in outcome.landed:
                plan.setdefault(by_table[table], set()).add(outcome.dt)
        return {entity: sorted(days) for entity, days in plan.items()}

    @property
    def records(self) -> int:
        return sum(sum(o.records.values()) for o in self.outcomes)

    @property
    def failures(self) -> int:
        return sum(len(o.failures) for o in self.outcomes)


def crawl_sites(
    settings: Settings,
    lake: Lake,
    sites: list[SiteSpec],
    progress: Progress | None = None,
    workers: int | None = None,
    coordinator=None,
    lock_timeout: float = 0.0,
) -> Collected:
    """Crawl each site in turn on one Dask client; every site under its lock, with its checkpoint."""
    from ecomlab.collection.fanout import dask_client
    from ecomlab.coordination import coordinator_from_settings

    progress = progress or Progress()
    c = settings.collection
    workers = workers or c.dask_workers
    policy = CrawlPolicy.from_settings(c)
    options = dynamic_options(settings, workers) if any(s.kind == "dynamic" for s in sites) else None
    outcomes = []
    with ExitStack() as stack:
        if coordinator is None:
            coordinator = stack.enter_context(_coordinator(settings, coordinator_from_settings))
        client = stack.enter_context(dask_client(c.dask_scheduler, workers))
        for site in sites:
            chunk_size = c.dynamic_chunk_size if site.kind == "dynamic" else c.chunk_size
            crawl = SiteCrawl(site, policy, lake, coordinator, chunk_size, options, lock_timeout)
            with progress.task(f"crawl {site.name or site.key} ({site.kind})", unit="pages") as advance:
                outcome = crawl.run(client, workers, advance)
            log.info(
                "crawled %s (%s): %d pages, %s records, %d failures%s",
                site.url,
                site.kind,
                outcome.pages_fetched,
                outcome.records,
                len(outcome.failures),
                " (resumed)" if outcome.resumed else "",
            )
            outcomes.append(outcome)
    return Collected(outcomes)


@contextmanager
def _coordinator(settings: Settings, factory):
    coordinator = factory(settings)
    try:
        yield coordinator
    finally:
        coordinator.close()


def load_collected(spark, lake: Lake, collected: Collected, advance=lambda n: None):
    """Load the crawled batches' ODS partitions."""
    from ecomlab.warehouse.ods import load_many

    return load_many(spark, lake, collected.plan, advance)
