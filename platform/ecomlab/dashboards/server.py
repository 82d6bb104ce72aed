"""The dashboards served live from the mart (Starlette), read-only.

Routes, relative to where the app is mounted (`/` for `ecomlab dashboard serve`, `/ecomlab`
inside Airflow): `/` (index), `/<dataset>/<board>?start=&end=&<dimension>=` (a board),
`/<dataset>/<board>/data.json` (what a refreshing board reloads), `/assets/<file>`.
Only GET and HEAD are allowed (405 otherwise); a bad filter is a 400 naming it.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ecomlab.dashboards.assets import asset_files
from ecomlab.dashboards.boards import BOARDS, BY_SLUG
from ecomlab.dashboards.build import build_page
from ecomlab.dashboards.catalog import Label
from ecomlab.dashboards.data import datasets
from ecomlab.dashboards.filters import FilterError, parse_filters
from ecomlab.dashboards.render import CSP, LIVE, refresh_data, render_board, render_index
from ecomlab.mart import Mart

log = logging.getLogger(__name__)
READ_ONLY = ["GET", "HEAD"]
HEADERS = {
    "Content-Security-Policy": CSP + "; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(mart: Mart, labels: Sequence[Label] | Callable[[], Sequence[Label]]) -> Starlette:
    """The dashboards app over `mart`; `labels` may be a callable, read at each request (a catalog that changes)."""
    files = asset_files()  # fails at start-up, not at the first page, if ECharts is missing

    def current_labels() -> list[Label]:
        return list(labels() if callable(labels) else labels)

    def page_of(request: Request):
        board = BY_SLUG.get(request.path_params["slug"])
        if board is None:
            raise HTTPException(404, f"no dashboard {request.path_params['slug']!r}; there are {', '.join(BY_SLUG)}")
        filters = parse_filters(request.query_params.multi_items(), dataset=request.path_params["dataset"])
        return build_page(mart, board, filters, current_labels())

    def index(request: Request) -> Response:
        return HTMLResponse(render_index(datasets(mart), BOARDS, LIVE))

    def board(request: Request) -> Response:
        return HTMLResponse(render_board(page_of(request), LIVE, BOARDS))

    def data(request: Request) -> Response:
        return JSONResponse(refresh_data(page_of(request).panels))

    def asset(request: Request) -> Response:
        path = files.get(request.path_params["name"])
        if path is None:
            return PlainTextResponse("no such asset", status_code=404)
        return FileResponse(path)

    async def bad_filter(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"bad request: {exc}", status_code=400)

    return Starlette(
        routes=[
            Route("/", index, methods=READ_ONLY),
            Route("/assets/{name}", asset, methods=READ_ONLY),
            Route("/{dataset}/{slug}", board, methods=READ_ONLY),
            Route("/{dataset}/{slug}/data.json", data, methods=READ_ONLY),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={FilterError: bad_filter},
    )


def check_bind_host(host: str, allow_public: bool = False) -> str:
    """Loopback only, unless the caller explicitly allows listening elsewhere."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not allow_public:
        raise ValueError(f"host {host!r}: the dashboards listen on loopback only (pass --allow-public to change that)")
    return host


@dataclass
class RunningServer:
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: Starlette, host: str = "127.0.0.1", port: int = 0, allow_public: bool = False) -> RunningServer:
    """Serve `app` in a daemon thread; port 0 picks a free port."""
    config = uvicorn.Config(
        app,
        host=check_bind_host(host, allow_public),
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboards", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the dashboards did not start on {host}:{port} (port in use?)")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    log.info("dashboards listening on http://%s:%d", host, bound)
    return RunningServer(server, thread, host, bound)
