import pytest

from ecomlab.collection.crawl import fetcher as fetcher_module
from ecomlab.collection.crawl.fetcher import Fetcher, FetchFailed, HostRateLimiter
from ecomlab.collection.shop.faults import Faults


def first_hit(catalog, faults: Faults, fault: str) -> int:
    return next(i for i in catalog.items if faults.hits(fault, f"/item/{i}"))


def test_robots_txt_is_obeyed(shop, policy):
    with Fetcher(policy) as fetcher, pytest.raises(FetchFailed, match=r"robots\.txt"):
        fetcher.fetch(f"{shop.url}/admin/stats")
    assert "/admin/stats" not in shop.state.requests


def test_transient_errors_are_retried_until_they_pass(shop, policy):
    faults = Faults(transient_rate=0.5, transient_failures=2)
    shop.set_faults(faults)
    item = first_hit(shop.catalog, faults, "transient")
    with Fetcher(policy) as fetcher:
        page = fetcher.fetch(f"{shop.url}/item/{item}")
    assert page.status == 200 and page.attempts == 3
    assert shop.state.requests[f"/item/{item}"] == 3


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("broken", r"HTTP 500 .* \(gave up after 4 attempts"),
        ("reset", r"connection error .* \(gave up after 4 attempts"),
        ("redirect_loop", "redirect loop"),
        ("huge", "page too large"),
    ],
)
def test_each_fault_ends_in_a_recorded_reason(shop, policy, fault, reason):
    faults = Faults(**{f"{fault}_rate": 0.4})
    shop.set_faults(faults)
    item = first_hit(shop.catalog, faults, fault)
    with Fetcher(policy) as fetcher, pytest.raises(FetchFailed, match=reason):
        fetcher.fetch(f"{shop.url}/item/{item}")


def test_a_slow_page_times_out_and_is_retried(shop, policy):
    shop.set_faults(Faults(slow_ms=800))
    quick = type(policy)(**{**policy.__dict__, "timeout_seconds": 0.2, "retries": 1})
    with Fetcher(quick) as fetcher, pytest.raises(FetchFailed, match=r"timeout .* \(gave up after 2 attempts"):
        fetcher.fetch(f"{shop.url}/item/1")


def test_the_rate_limiter_spaces_requests_per_host(monkeypatch):
    now = [100.0]
    sleeps = []
    monkeypatch.setattr(fetcher_module.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(fetcher_module.time, "sleep", sleeps.append)
    limiter = HostRateLimiter(rate=4)  # one request every 0.25 s
    for _ in range(3):
        limiter.wait("a:80")
    limiter.wait("b:80")  # another host is not held back
    limiter.wait("a:80", crawl_delay=1.0)
    assert sleeps == [pytest.approx(0.25), pytest.approx(0.5), pytest.approx(0.75)]
