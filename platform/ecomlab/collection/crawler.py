"""One crawl of one site: lock, discover, fan out, checkpoint, land.

1. Take the site's lock (two crawls of one site never overlap) and register the crawler
   in the service registry (an ephemeral entry: it disappears if the process dies).
2. Resume the site's checkpoint if there is one (same crawl id, same frontier); otherwise
   discover the frontier (listing pages, with pagination or infinite scroll) and save it.
3. Fan the frontier's chunks out to Dask workers. Each finished chunk is written to the
   crawl's work area (atomically) before the checkpoint marks it done, so a crawl killed
   midway resumes with only the chunks that were in flight.
4. Merge the chunks (one record per key), land one JSON-lines batch per entity in the
   raw zone (batch id = crawl id: landing again stores nothing), write the crawl report,
   and clear the checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from ecomlab.collection import records as R
from ecomlab.collection.crawl.extract import extract_listing
from ecomlab.collection.crawl.fetcher import Fetcher, FetchFailed, origin
from ecomlab.collection.crawl.guard import AddressGuard, AddressRefused
from ecomlab.collection.crawl.policy import CrawlPolicy
from ecomlab.coordination.base import Coordinator
from ecomlab.progress import Advance
from ecomlab.storage.lake import Lake
from ecomlab.storage.raw_zone import RawZone

log = logging.getLogger(__name__)
WORK_ROOT = "crawl-work"


@dataclass(frozen=True)
class SiteSpec:
    url: str
    role: Literal["own", "competitor"] = "own"
    kind: Literal["static", "dynamic"] = "static"
    max_items: int | None = None
    # The site's name in the records (default: host:port).
    name: str | None = None

    @property
    def key(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


@dataclass
class CrawlOutcome:
    crawl_id: str
    site: str
    kind: str
    dt: str
    frontier: int
    pages_fetched: int = 0
    chunks_total: int = 0
    chunks_resumed: int = 0
    resumed: bool = False
    records: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0
    failures: list[dict] = field(default_factory=list)
    landed: dict[str, str] = field(default_factory=dict)  # ODS table -> batch directory
    pages_per_worker: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    fetch_seconds: float = 0.0  # the fan-out of product pages alone (after discovery)
    report_uri: str = ""


def normalise(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def discover_static(fetcher: Fetcher, site: SiteSpec, failures: list[dict]) -> list[str]:
    """Product pages reachable from the home page through categories and pagination (breadth first)."""
    start = normalise(urljoin(site.url, "/"))
    queue, seen, items = [start], {start}, []
    seen_items: set[str] = set()
    while queue:
        url = queue.pop(0)
        try:
            page = fetcher.fetch(url)
        except FetchFailed as exc:
            failures.append({"url": url, "reason": str(exc)})
            continue
        found = extract_listing(url, page.body.decode("utf-8", errors="replace"))
        for link in map(normalise, found.links):
            if link not in seen:
                seen.add(link)
                queue.append(link)
        for item in map(normalise, found.items):
            if item not in seen_items:
                seen_items.add(item)
                items.append(item)
    items.sort(key=_natural)
    return items[: site.max_items] if site.max_items else items


def discover_dynamic(fetcher: Fetcher, site: SiteSpec, options, failures: list[dict]) -> list[str]:
    """Product pages of the live (infinite-scroll) listings, rendered by the Node crawler."""
    from selectolax.lexbor import LexborHTMLParser

    from ecomlab.collection.dynamic.supervisor import run_dynamic

    home = normalise(urljoin(site.url, "/"))
    try:
        page = fetcher.fetch(home)
    except FetchFailed as exc:
        failures.append({"url": home, "reason": str(exc)})
        return []
    tree = LexborHTMLParser(page.body.decode("utf-8", errors="replace"))
    listings = sorted({normalise(urljoin(home, a.attributes.get("href") or "")) for a in tree.css("a.live-category")})
    listings = [u for u in listings if fetcher.allowed_by_robots(u, failures)]
    result = run_dynamic(listings, options, "listing", [origin(site.url)])
    failures.extend(result.failures)
    items = sorted({normalise(u) for links in result.links.values() for u in links}, key=_natural)
    items = [u for u in items if fetcher.allowed_by_robots(u, failures)]
    return items[: site.max_items] if site.max_items else items


def _natural(url: str) -> tuple:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return (url.rsplit("/", 1)[0], int(tail) if tail.isdigit() else 0, url)


class SiteCrawl:
    def __init__(
        self,
        site: SiteSpec,
        policy: CrawlPolicy,
        lake: Lake,
        coordinator: Coordinator,
        chunk_size: int = 8,
        dynamic_options=None,
        lock_timeout: float = 0.0,
    ):
        self.site = site
        self.policy = policy
        self.lake = lake
        self.coordinator = coordinator
        self.chunk_size = chunk_size
        self.dynamic_options = dynamic_options
        self.lock_timeout = lock_timeout
        self.checkpoint_name = f"crawl-{site.kind}-{site.key}"

    def run(self, client, workers: int, advance: Advance = lambda n: None, on_chunk=None) -> CrawlOutcome:
        """Crawl the site (resuming a checkpoint); LockBusyError if another crawl of it is running."""
        started = time.perf_counter()
        with self.coordinator.lock(f"site-{self.site.key}", timeout=self.lock_timeout):
            AddressGuard(self.policy.allowed_hosts, self.policy.allow_private_networks).check(self.site.url)
            entry = self.coordinator.register(
                "crawler",
                f"{socket.gethostname()}:{os.getpid()}",
                {"site": self.site.url, "kind": self.site.kind, "started": datetime.now(UTC).isoformat()},
            )
            try:
                outcome = self._run_locked(client, workers, advance, on_chunk)
            finally:
                self.coordinator.unregister(entry)
        outcome.seconds = round(time.perf_counter() - started, 2)
        return outcome

    # -- steps ------------------------------------------------------------------------

    def _run_locked(self, client, workers: int, advance: Advance, on_chunk) -> CrawlOutcome:
        checkpoint = self.coordinator.load_checkpoint(self.checkpoint_name)
        failures: list[dict] = []
        with Fetcher(self.policy) as fetcher:
            robots = {origin(self.site.url): fetcher.robots_text(origin(self.site.url))}
            policy = replace(self.policy, robots=robots)
            if checkpoint is None:
                now = datetime.now(UTC)
                crawled_at = now.strftime("%Y-%m-%d %H:%M:%S")  # UTC, the warehouse's canonical form
                crawl_id = now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
                if self.site.kind == "static":
                    frontier = discover_static(fetcher, self.site, failures)
                else:
                    frontier = discover_dynamic(fetcher, self.site, self.dynamic_options, failures)
                work = f"{WORK_ROOT}/{crawl_id}"
                self.lake.makedirs(f"{work}/parts")
                self.lake.write_bytes(
                    f"{work}/frontier.json", json.dumps({"urls": frontier, "failures": failures}).encode()
                )
                checkpoint = {
                    "crawl_id": crawl_id,
                    "site": self.site.url,
                    "kind": self.site.kind,
                    "crawled_at": crawled_at,
                    "chunks": (len(frontier) + self.chunk_size - 1) // self.chunk_size,
                    "chunk_size": self.chunk_size,
                    "done": [],
                }
                self.coordinator.save_checkpoint(self.checkpoint_name, checkpoint)
                resumed = False
            else:
                crawl_id = checkpoint["crawl_id"]
                work = f"{WORK_ROOT}/{crawl_id}"
                saved = json.loads(self.lake.read_bytes(f"{work}/frontier.json"))
                frontier, failures = saved["urls"], saved["failures"]
                resumed = True
                log.info(
                    "resuming crawl %s of %s: %d of %d chunks done",
                    crawl_id,
                    self.site.url,
                    len(checkpoint["done"]),
                    checkpoint["chunks"],
                )

        size = checkpoint["chunk_size"]
        chunks = [frontier[i : i + size] for i in range(0, len(frontier), size)]
        # A chunk written but not yet checkpointed (killed in between) is done too: its file is complete.
        written = {
            int(n.removeprefix("chunk-").removesuffix(".json"))
            for n in self.lake.list(f"{work}/parts")
            if n.startswith("chunk-") and n.endswith(".json")
        }
        done = set(checkpoint["done"]) | written
        outcome = CrawlOutcome(
            crawl_id=crawl_id,
            site=self.site.url,
            kind=self.site.kind,
            dt=checkpoint["crawled_at"][:10],
            frontier=len(frontier),
            chunks_total=len(chunks),
            chunks_resumed=len(done),
            resumed=resumed,
        )
        advance(sum(len(chunks[i]) for i in done if i < len(chunks)))
        pending = [i for i in range(len(chunks)) if i not in done]
        if pending:
            fan_out_started = time.perf_counter()
            self._fan_out(client, workers, policy, checkpoint, chunks, pending, work, done, advance, on_chunk)
            outcome.fetch_seconds = round(time.perf_counter() - fan_out_started, 2)
        outcome.failures = list(failures)
        self._finish(outcome, chunks, work, checkpoint)
        return outcome

    def _fan_out(self, client, workers, policy, checkpoint, chunks, pending, work, done, advance, on_chunk) -> None:
        from dask.distributed import as_completed

        from ecomlab.collection import fanout

        role, crawled_at, site_name = self.site.role, checkpoint["crawled_at"], self.site.name or self.site.key
        futures = {}
        for index in pending:
            if self.site.kind == "static":
                future = client.submit(
                    fanout.static_chunk,
                    chunks[index],
                    policy,
                    site_name,
                    role,
                    crawled_at,
                    workers,
                    key=f"crawl-{checkpoint['crawl_id']}-{index}",
                    pure=False,
                )
            else:
                future = client.submit(
                    fanout.dynamic_chunk,
                    chunks[index],
                    self.dynamic_options,
                    [origin(self.site.url)],
                    site_name,
                    role,
                    crawled_at,
                    key=f"crawl-{checkpoint['crawl_id']}-{index}",
                    pure=False,
                )
            futures[future] = index
        for future in as_completed(futures):
            index = futures[future]
            result = future.result()
            tmp = f"{work}/parts/_tmp-{index}-{uuid.uuid4().hex[:6]}"
            self.lake.write_bytes(tmp, json.dumps(result).encode())
            if not self.lake.rename(tmp, f"{work}/parts/chunk-{index:06d}.json"):
                self.lake.delete(tmp)
            done.add(index)
            checkpoint["done"] = sorted(done)
            self.coordinator.save_checkpoint(self.checkpoint_name, checkpoint)
            advance(len(chunks[index]))
            if on_chunk is not None:
                on_chunk(index, result)

    def _finish(self, outcome: CrawlOutcome, chunks, work: str, checkpoint: dict) -> None:
        seen: set[tuple] = set()
        by_kind: dict[str, list[dict]] = {kind: [] for kind in R.KIND_FIELDS}
        for index in range(len(chunks)):
            part = json.loads(self.lake.read_bytes(f"{work}/parts/chunk-{index:06d}.json"))
            outcome.pages_fetched += part["pages"]
            worker = part.get("worker", "unknown")
            outcome.pages_per_worker[worker] = outcome.pages_per_worker.get(worker, 0) + part["pages"]
            outcome.failures.extend(part["failures"])
            for raw in part["records"]:
                record = R.checked(raw)
                key = R.record_key(record)
                if key in seen:
                    outcome.duplicates_dropped += 1
                    continue
                seen.add(key)
                by_kind[record["kind"]].append(record)
        outcome.records = {kind: len(rows) for kind, rows in by_kind.items()}
        zone = RawZone(self.lake)
        with tempfile.TemporaryDirectory(prefix="ecomlab-crawl-") as tmp:
            for kind, rows in by_kind.items():
                if not rows:
                    continue
                entity = R.ENTITIES[kind]
                path = Path(tmp) / f"{entity.name}.jsonl"
                with path.open("w", encoding="utf-8") as handle:
                    for row in rows:
                        handle.write(json.dumps({k: row[k] for k in entity.columns}, ensure_ascii=False) + "\n")
                landing = zone.land(
                    path,
                    entity,
                    outcome.dt,
                    batch_id=f"{outcome.crawl_id}-{self.site.kind}",
                    window=(outcome.dt, outcome.dt),
                    extra={"crawl_id": outcome.crawl_id, "site": self.site.url, "crawler": self.site.kind},
                )
                outcome.landed[entity.qualified_ods_table] = self.lake.uri(landing.manifest.directory)
        report = {
            **{k: v for k, v in outcome.__dict__.items() if k != "report_uri"},
            "failure_reasons": dict(Counter(_reason_class(f["reason"]) for f in outcome.failures)),
        }
        path = f"runs/crawls/{outcome.crawl_id}-{self.site.kind}/report.json"
        self.lake.makedirs(path.rsplit("/", 1)[0])
        self.lake.write_bytes(path, json.dumps(report, indent=2, sort_keys=True, default=str).encode())
        outcome.report_uri = self.lake.uri(path)
        self.coordinator.clear_checkpoint(self.checkpoint_name)
        self.lake.delete(work)


def _reason_class(reason: str) -> str:
    for label in (
        "refused",
        "robots",
        "redirect loop",
        "too large",
        "HTTP 5",
        "HTTP 4",
        "timeout",
        "connection",
        "no .price",
        "no article",
        "dynamic",
    ):
        if label in reason:
            return label
    return "other"


def guard_refusal(policy: CrawlPolicy, url: str) -> str | None:
    """Why the guard refuses a start URL, or None."""
    try:
        AddressGuard(policy.allowed_hosts, policy.allow_private_networks).check(url)
    except AddressRefused as exc:
        return str(exc)
    return None
