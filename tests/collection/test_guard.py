import pytest

from ecomlab.collection.crawl.fetcher import Fetcher, FetchFailed
from ecomlab.collection.crawl.guard import AddressGuard, AddressRefused


def fixed(addresses):
    return lambda host, port: addresses


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_refused_even_for_an_allowed_host(address):
    guard = AddressGuard({"shop.example"}, resolver=fixed([address]))
    with pytest.raises(AddressRefused, match="private, loopback or link-local"):
        guard.check("http://shop.example/item/1")


def test_a_public_address_of_an_allowed_host_passes():
    guard = AddressGuard({"shop.example"}, resolver=fixed(["93.184.216.34"]))
    assert guard.check("https://shop.example/") == ["93.184.216.34"]


def test_one_internal_address_among_public_ones_is_enough_to_refuse():
    guard = AddressGuard({"shop.example"}, resolver=fixed(["93.184.216.34", "10.0.0.7"]))
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.7"):
        guard.check("http://shop.example/")


def test_hosts_off_the_allowlist_schemes_and_credentials_are_refused():
    guard = AddressGuard({"shop.example"}, resolver=fixed(["93.184.216.34"]))
    with pytest.raises(AddressRefused, match="not on the crawl allowlist"):
        guard.check("http://other.example/")
    with pytest.raises(AddressRefused, match="only http and https"):
        guard.check("file:///etc/passwd")
    with pytest.raises(AddressRefused, match="credentials"):
        guard.check("http://user:pw@shop.example/")


def test_real_dns_is_checked_and_an_allowed_network_opens_loopback():
    # localhost really resolves (system resolver) to loopback.
    with pytest.raises(AddressRefused, match="loopback"):
        AddressGuard({"localhost"}).check("http://localhost:9/")
    assert AddressGuard({"localhost"}, ["127.0.0.0/8", "::1/128"]).check("http://localhost:9/")


def test_a_redirect_to_an_internal_address_is_refused(shop, policy):
    with Fetcher(policy) as fetcher:
        assert fetcher.fetch(f"{shop.url}/out?url=/item/1").final_url.endswith("/item/1")
        for target in ("http://169.254.169.254/latest/meta-data/", f"http://localhost:{shop.port}/item/1"):
            with pytest.raises(FetchFailed, match="refused"):
                fetcher.fetch(f"{shop.url}/out?url={target}")
    # The refused hop itself was never requested from the shop: only the redirects were.
    assert shop.state.requests["/out"] == 3


def test_the_fetcher_connects_to_the_address_the_guard_checked(shop, policy):
    # "shop.test" exists only in this resolver: the page can be fetched only through the checked address.
    guard = AddressGuard({"shop.test"}, ["127.0.0.0/8"], resolver=fixed(["127.0.0.1"]))
    with Fetcher(policy, guard=guard) as fetcher:
        page = fetcher.fetch(f"http://shop.test:{shop.port}/item/1")
    assert page.status == 200 and b'data-item-id="1"' in page.body
