"""Run a demo shop (or a competitor) with uvicorn in a background thread, on loopback."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from dataclasses import dataclass

import uvicorn

from ecomlab.collection.shop.app import ShopState, create_app
from ecomlab.collection.shop.catalog import Catalog, build_catalog
from ecomlab.collection.shop.faults import Faults

log = logging.getLogger(__name__)


def check_bind_host(host: str, allow_public: bool = False) -> str:
    """Loopback only, unless the caller explicitly allows listening elsewhere."""
    if allow_public:
        return host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"host {host!r}: the demo shop listens on loopback only (pass allow_public to change that)")
    return host


@dataclass
class RunningShop:
    state: ShopState
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def catalog(self) -> Catalog:
        return self.state.catalog

    def set_faults(self, faults: Faults) -> None:
        self.state.faults = faults

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> RunningShop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_shop(
    catalog: Catalog | None = None,
    faults: Faults | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    allow_public: bool = False,
    startup_timeout: float = 15.0,
) -> RunningShop:
    """Start a shop in a daemon thread; port 0 picks a free port (see `.port`)."""
    state = ShopState(catalog or build_catalog(), faults)
    config = uvicorn.Config(
        create_app(state),
        host=check_bind_host(host, allow_public),
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    # The reset fault drops connections on purpose; uvicorn would log each as an application error.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"shop-{state.catalog.site}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the demo shop did not start on {host}:{port} (port in use?)")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    log.info("shop %s listening on http://%s:%d", state.catalog.site, host, bound)
    return RunningShop(state, server, thread, host, bound)
