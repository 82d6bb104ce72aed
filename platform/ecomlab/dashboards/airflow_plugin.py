"""The dashboards inside Airflow 3: a FastAPI app mounted by the API server under /ecomlab,
and a "Dashboards" entry in the Airflow UI's navigation that shows it.

Registered through the `airflow.plugins` entry point. Airflow's own authentication is in
front of every request (its JWT, from the `Authorization: Bearer` header or the UI's
session cookie), and the user must be allowed to view plugins. The module imports without
Airflow (the plugin class is then None), so the rest of the platform does not need it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

log = logging.getLogger(__name__)

NAME = "ecomlab_dashboards"
URL_PREFIX = "/ecomlab"
EXTERNAL_VIEW = {
    "name": "Dashboards",
    "href": f"{URL_PREFIX}/",
    "destination": "nav",
    "url_route": "ecomlab-dashboards",
    "category": "browse",
}


class _LazyDashboards:
    """The dashboards app, built at its first request: importing the plugin must not open the mart."""

    def __init__(self) -> None:
        self._app = None
        self._lock = threading.Lock()

    def _build(self):
        from ecomlab.dashboards.catalog import load_labels
        from ecomlab.dashboards.server import create_app
        from ecomlab.mart import Mart
        from ecomlab.settings import load_settings

        return create_app(Mart.from_settings(load_settings()), load_labels)

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
        await self._app(scope, receive, send)


def create_fastapi_app(inner: Any | None = None):
    """A FastAPI app that authenticates with Airflow, then hands the request to the dashboards."""
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import PlainTextResponse, RedirectResponse

    app = FastAPI(title="ecomlab dashboards", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def airflow_auth(request: Request, call_next):
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
        from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
        from airflow.api_fastapi.core_api.security import resolve_user_from_token

        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE_NAME_JWT_TOKEN)
        try:
            user = await resolve_user_from_token(token)
        except HTTPException as exc:
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse(f"/auth/login?next={request.url.path}", status_code=303)
            return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
        if not get_auth_manager().is_authorized_view(access_view=AccessView.PLUGINS, user=user):
            return PlainTextResponse("not allowed to view plugins", status_code=403)
        return await call_next(request)

    app.mount("/", inner or _LazyDashboards())
    return app


try:
    from airflow.plugins_manager import AirflowPlugin
except ImportError:  # Airflow is optional: the plugin exists only where Airflow runs
    AirflowPlugin = None

if AirflowPlugin is not None:

    class EcomlabDashboardsPlugin(AirflowPlugin):
        name = NAME
        fastapi_apps: ClassVar[list] = [
            {"app": create_fastapi_app(), "url_prefix": URL_PREFIX, "name": "ecomlab dashboards"}
        ]
        external_views: ClassVar[list] = [EXTERNAL_VIEW]

else:
    EcomlabDashboardsPlugin = None
