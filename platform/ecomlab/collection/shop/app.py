"""The demo shop's web application (Starlette).

Server-rendered pages: `/` (categories), `/category/{id}?page=N` (paginated listing),
`/item/{id}` (price, stock, rating, reviews). Browser-rendered pages: `/dynamic/category/{id}`
(infinite scroll) and `/dynamic/item/{id}` (price, promotion and reviews fetched from the
JSON API `/api/...` by `static/shop.js`). `/robots.txt` disallows `/admin/` and `/private/`.
`/admin/faults` reads or switches faults, `/admin/stats` counts requests per path.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ecomlab.collection.shop.catalog import Catalog
from ecomlab.collection.shop.faults import Faults

HERE = Path(__file__).parent
PAGE_SIZE = 12
REVIEW_PAGE = 3
ROBOTS = "User-agent: *\nDisallow: /admin/\nDisallow: /private/\nAllow: /\n"


class ShopState:
    """Faults and request counts of one shop instance (shared with its server thread)."""

    def __init__(self, catalog: Catalog, faults: Faults | None = None):
        self.catalog = catalog
        self.faults = faults or Faults()
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, key: str) -> int:
        with self._lock:
            self.requests[key] += 1
            return self.requests[key]


class _ResetMiddleware:
    """Drops the connection mid-response for pages the `reset` fault hits (raw ASGI: no clean close)."""

    def __init__(self, app, state: ShopState):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and _faultable(scope["path"]) and self.state.faults.hits("reset", scope["path"]):
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10000")]})
            await send({"type": "http.response.body", "body": b"<html><body>partial", "more_body": True})
            raise ConnectionResetError(f"fault: connection reset on {scope['path']}")
        await self.app(scope, receive, send)


def _faultable(path: str) -> bool:
    return path.startswith(("/item/", "/category/", "/dynamic/item/", "/api/items/"))


def create_app(state: ShopState) -> Starlette:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
    )
    catalog = state.catalog

    def render(template: str, status: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(site=catalog.site, **context), status_code=status)

    async def faulted(request: Request) -> Response | None:
        """The fault response for this page, or None to serve it normally."""
        path = request.url.path
        faults = state.faults
        attempt = state.count(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        if faults.slow_ms:
            await asyncio.sleep(faults.slow_ms / 1000)
        if not _faultable(path):
            return None
        if faults.hits("broken", path):
            return PlainTextResponse("fault: internal error", status_code=500)
        if faults.hits("transient", path) and attempt <= faults.transient_failures:
            return PlainTextResponse("fault: try again", status_code=503, headers={"Retry-After": "0"})
        if faults.hits("redirect_loop", path):
            hop = int(request.query_params.get("hop", "0")) + 1
            return RedirectResponse(f"{path}?hop={hop % 2}", status_code=302)
        return None

    async def robots(request: Request) -> Response:
        state.count("/robots.txt")
        return PlainTextResponse(ROBOTS)

    async def home(request: Request) -> Response:
        await faulted(request)
        return render("home.html", categories=catalog.categories)

    async def category(request: Request) -> Response:
        if (answer := await faulted(request)) is not None:
            return answer
        category_id = request.path_params["category_id"]
        if category_id not in catalog.categories:
            return render("missing.html", status=404, what=f"category {category_id}")
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        items = catalog.in_category(category_id)
        pages = max((len(items) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return render(
            "category.html",
            category_id=category_id,
            name=catalog.categories[category_id],
            items=shown,
            page=page,
            pages=pages,
        )

    async def item(request: Request) -> Response:
        if (answer := await faulted(request)) is not None:
            return answer
        found = catalog.items.get(request.path_params["item_id"])
        if found is None:
            return render("missing.html", status=404, what=f"item {request.path_params['item_id']}")
        path = request.url.path
        html = env.get_template("item.html").render(site=catalog.site, item=found)
        if state.faults.hits("malformed", path):
            # Unclosed elements, stray brackets and a cut-off tail: browsers and lenient parsers cope.
            html = html.replace("</li>", "").replace("</span>", " <").replace("</body>", "").replace("</html>", "")
            html += "<div class='footer'><p>unterminated <b>markup"
        if state.faults.hits("huge", path):
            padding = "<!-- " + "x" * 1000 + " -->\n"
            repeat = state.faults.huge_bytes // len(padding) + 1

            async def body():
                yield html.encode()
                chunk = (padding * 64).encode()
                for _ in range(repeat // 64 + 1):
                    yield chunk

            from starlette.responses import StreamingResponse

            return StreamingResponse(body(), media_type="text/html")
        return HTMLResponse(html)

    async def dynamic_category(request: Request) -> Response:
        if (answer := await faulted(request)) is not None:
            return answer
        category_id = request.path_params["category_id"]
        if category_id not in catalog.categories:
            return render("missing.html", status=404, what=f"category {category_id}")
        return render("dynamic_category.html", category_id=category_id, name=catalog.categories[category_id])

    async def dynamic_item(request: Request) -> Response:
        if (answer := await faulted(request)) is not None:
            return answer
        item_id = request.path_params["item_id"]
        if item_id not in catalog.items:
            return render("missing.html", status=404, what=f"item {item_id}")
        return render("dynamic_item.html", item_id=item_id)

    async def api_item(request: Request) -> Response:
        if (answer := await faulted(request)) is not None:
            return answer
        found = catalog.items.get(request.path_params["item_id"])
        if found is None:
            return JSONResponse({"error": "no such item"}, status_code=404)
        return JSONResponse(
            {
                "item_id": found.item_id,
                "title": found.title,
                "category": found.category,
                "price": found.price,
                "list_price": found.list_price,
                "stock": found.stock,
                "rating": found.rating,
                "promotion": found.promotion,
                "reviews_total": len(found.reviews),
            }
        )

    async def api_reviews(request: Request) -> Response:
        await faulted(request)
        found = catalog.items.get(request.path_params["item_id"])
        if found is None:
            return JSONResponse({"error": "no such item"}, status_code=404)
        offset = max(int(request.query_params.get("offset", "0") or 0), 0)
        page = found.reviews[offset : offset + REVIEW_PAGE]
        return JSONResponse(
            {
                "reviews": [
                    {
                        "review_id": r.review_id,
                        "rating": r.rating,
                        "author": r.author,
                        "text": r.text,
                        "created": r.created,
                    }
                    for r in page
                ],
                "next": offset + REVIEW_PAGE if offset + REVIEW_PAGE < len(found.reviews) else None,
            }
        )

    async def api_category_items(request: Request) -> Response:
        await faulted(request)
        category_id = request.path_params["category_id"]
        items = catalog.in_category(category_id)
        offset = max(int(request.query_params.get("offset", "0") or 0), 0)
        page = items[offset : offset + PAGE_SIZE]
        return JSONResponse(
            {
                "items": [{"item_id": i.item_id, "title": i.title} for i in page],
                "next": offset + PAGE_SIZE if offset + PAGE_SIZE < len(items) else None,
            }
        )

    async def outbound(request: Request) -> Response:
        # "Visit the brand's site" link tracker: an open redirect, as real shops have (and crawlers must guard).
        state.count("/out")
        target = request.query_params.get("url", "/")
        return RedirectResponse(target, status_code=302)

    async def admin_faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.faults = Faults(**(await request.json()))
            except Exception as exc:  # a bad fault setting is the caller's error, answered as such
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(state.faults.model_dump())

    async def admin_stats(request: Request) -> Response:
        if request.method == "POST":
            state.requests.clear()
        return JSONResponse(dict(state.requests))

    routes = [
        Route("/robots.txt", robots),
        Route("/", home),
        Route("/category/{category_id:int}", category),
        Route("/item/{item_id:int}", item),
        Route("/dynamic/category/{category_id:int}", dynamic_category),
        Route("/dynamic/item/{item_id:int}", dynamic_item),
        Route("/api/items/{item_id:int}", api_item),
        Route("/api/items/{item_id:int}/reviews", api_reviews),
        Route("/api/categories/{category_id:int}/items", api_category_items),
        Route("/out", outbound),
        Route("/admin/faults", admin_faults, methods=["GET", "POST"]),
        Route("/admin/stats", admin_stats, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_ResetMiddleware, state=state)
    return app
