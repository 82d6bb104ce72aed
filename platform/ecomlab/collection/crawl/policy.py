"""What a crawl may do: one picklable value sent to every Dask worker."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CrawlPolicy:
    allowed_hosts: frozenset[str]
    allow_private_networks: tuple[str, ...] = ()
    user_agent: str = "ecomlab-crawler/0.1"
    # Per host, over the whole crawl: each of n workers keeps to rate / n.
    requests_per_second_per_host: float = 5.0
    timeout_seconds: float = 10.0
    max_page_bytes: int = 2_000_000
    retries: int = 3
    backoff_seconds: float = 0.2
    max_redirects: int = 5
    # robots.txt texts fetched once by the driver, by origin (scheme://host:port).
    robots: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, collection, extra_hosts: tuple[str, ...] = ()) -> CrawlPolicy:
        return cls(
            allowed_hosts=frozenset(h.lower() for h in (*collection.allowed_hosts, *extra_hosts)),
            allow_private_networks=tuple(collection.allow_private_networks),
            user_agent=collection.user_agent,
            requests_per_second_per_host=collection.requests_per_second_per_host,
            timeout_seconds=collection.timeout_seconds,
            max_page_bytes=collection.max_page_bytes,
            retries=collection.retries,
            backoff_seconds=collection.backoff_seconds,
            max_redirects=collection.max_redirects,
        )
