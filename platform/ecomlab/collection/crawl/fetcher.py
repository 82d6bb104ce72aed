"""Fetching one page: address guard on every hop, robots.txt, per-host rate limit,
retries with exponential backoff, timeouts and a maximum page size (streamed, cut off)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from protego import Protego
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ecomlab.collection.crawl.guard import AddressGuard, AddressRefused
from ecomlab.collection.crawl.policy import CrawlPolicy

REDIRECTS = {301, 302, 303, 307, 308}


class FetchFailed(Exception):
    """A page could not be fetched; the message is the reason recorded for it."""


class _Retryable(Exception):
    """A failure worth another attempt (5xx, 429, connection trouble, timeout)."""


@dataclass(frozen=True)
class Page:
    url: str
    final_url: str
    status: int
    body: bytes
    attempts: int


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def pinned(url: str, address: str) -> tuple[str, str, str]:
    """The URL aimed at the address the guard checked (no second DNS lookup that could answer
    differently), with the Host header and TLS server name of the original host."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), parts.netloc, parts.hostname or ""


class HostRateLimiter:
    """At most `rate` requests per second per host from this process (threads share it)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, crawl_delay: float = 0.0) -> None:
        interval = max(self.interval, crawl_delay)
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + interval
        if slot > now:
            time.sleep(slot - now)


class Fetcher:
    def __init__(self, policy: CrawlPolicy, workers: int = 1, guard: AddressGuard | None = None):
        self.policy = policy
        self.guard = guard or AddressGuard(policy.allowed_hosts, policy.allow_private_networks)
        self.limiter = HostRateLimiter(policy.requests_per_second_per_host / max(workers, 1))
        self.client = httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=httpx.Timeout(policy.timeout_seconds),
            follow_redirects=False,  # each hop goes through the guard
            trust_env=False,  # no proxies from the environment: the guard must see the real target
        )
        self._robots: dict[str, Protego] = {o: Protego.parse(text) for o, text in policy.robots.items()}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # robots.txt ---------------------------------------------------------------------

    def robots_text(self, site: str) -> str:
        """The robots.txt of an origin ('' when it has none); fetched through the guard."""
        try:
            page = self._get(urljoin(site, "/robots.txt"), check_robots=False)
        except FetchFailed as exc:
            if "HTTP 4" not in str(exc):
                raise
            text = ""  # no robots.txt: everything is allowed
        else:
            text = page.body.decode("utf-8", errors="replace")
        self._robots[origin(site)] = Protego.parse(text)
        return text

    def _robots_for(self, url: str) -> Protego:
        key = origin(url)
        if key not in self._robots:
            self.robots_text(key)
        return self._robots[key]

    def allowed_by_robots(self, url: str, failures: list[dict]) -> bool:
        """Whether robots.txt lets us fetch url (for pages another program fetches); records a refusal."""
        if self._robots_for(url).can_fetch(url, self.policy.user_agent):
            return True
        failures.append({"url": url, "reason": f"disallowed by robots.txt: {url}"})
        return False

    # fetching -----------------------------------------------------------------------

    def fetch(self, url: str) -> Page:
        """The page at url (after redirects); FetchFailed with the reason otherwise."""
        return self._get(url, check_robots=True)

    def _get(self, url: str, check_robots: bool) -> Page:
        seen: list[str] = []
        current = url
        attempts_total = 0
        while True:
            try:
                addresses = self.guard.check(current)
            except AddressRefused as exc:
                raise FetchFailed(f"refused: {exc}") from None
            robots = self._robots_for(current) if check_robots else None
            if robots is not None and not robots.can_fetch(current, self.policy.user_agent):
                raise FetchFailed(f"disallowed by robots.txt: {current}")
            status, body, location, attempts = self._attempts(current, addresses[0], robots)
            attempts_total += attempts
            if status in REDIRECTS and location:
                seen.append(current)
                target = urljoin(current, location)
                if target in seen:
                    raise FetchFailed(f"redirect loop: {' -> '.join([*seen, target])}")
                if len(seen) > self.policy.max_redirects:
                    raise FetchFailed(f"more than {self.policy.max_redirects} redirects from {url}")
                current = target
                continue
            if status >= 400:
                raise FetchFailed(f"HTTP {status} from {current}")
            return Page(url=url, final_url=current, status=status, body=body, attempts=attempts_total)

    def _attempts(self, url: str, address: str, robots: Protego | None) -> tuple[int, bytes, str | None, int]:
        host = urlsplit(url).netloc
        delay = float(robots.crawl_delay(self.policy.user_agent) or 0) if robots is not None else 0.0
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.retries + 1),
            wait=wait_exponential(multiplier=self.policy.backoff_seconds, max=10),
            retry=retry_if_exception_type(_Retryable),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    self.limiter.wait(host, delay)
                    result = self._once(url, address)
                    return (*result, attempts)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise FetchFailed(f"{last} (gave up after {attempts} attempts)") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, address: str) -> tuple[int, bytes, str | None]:
        limit = self.policy.max_page_bytes
        target, host_header, server_name = pinned(url, address)
        try:
            with self.client.stream(
                "GET", target, headers={"Host": host_header}, extensions={"sni_hostname": server_name}
            ) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise _Retryable(f"HTTP {response.status_code} from {url}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise FetchFailed(f"page too large: {url} declares {declared} bytes (limit {limit})")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchFailed(f"page too large: {url} is over {limit} bytes (cut off)")
                    chunks.append(chunk)
                return response.status_code, b"".join(chunks), response.headers.get("location")
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout after {self.policy.timeout_seconds}s on {url} ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error on {url}: {type(exc).__name__}: {exc}") from None
