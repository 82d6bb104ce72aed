"""HTML for the index and the boards, from Jinja2 templates with autoescaping.

Chart options go into the page as JSON data blocks (`<script type="application/json">`)
with `<`, `>` and `&` written as \\u escapes, so no text from the data can close the block
or become markup; static/dashboard.js parses them and draws the charts. Pages carry a
Content-Security-Policy that allows scripts from the platform only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ecomlab.dashboards.assets import ASSETS_URL
from ecomlab.dashboards.filters import Filters
from ecomlab.dashboards.panels import ChartPanel, KpiPanel, Panel

# The meta element cannot carry frame-ancestors; the server adds it to its header.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}

_env = Environment(
    loader=PackageLoader("ecomlab.dashboards", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def json_block(value) -> Markup:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)


@dataclass(frozen=True)
class Site:
    """How pages link to each other: `.html` files on disk, or routes on the server."""

    live: bool
    suffix: str = ""

    def board_url(self, slug: str, filters: Filters | None = None) -> str:
        query = urlencode(filters.query()) if filters and self.live else ""
        return f"{slug}{self.suffix}" + (f"?{query}" if query else "")


EXPORT = Site(live=False, suffix=".html")
LIVE = Site(live=True)


@dataclass
class BoardPage:
    board: ModuleType
    dataset: str
    datasets: Sequence[str]
    filters: Filters
    panels: list[Panel]
    dimension_values: Mapping[str, set[str]] = field(default_factory=dict)


def refresh_data(panels: Sequence[Panel]) -> dict:
    """What a refreshing page replaces: every chart's options and every card's texts, by key."""
    charts = {panel.key: panel.options for panel in panels if isinstance(panel, ChartPanel)}
    cards = {
        card.key: {"value": card.value, "change": card.change}
        for panel in panels
        if isinstance(panel, KpiPanel)
        for card in panel.cards
    }
    return {"charts": charts, "cards": cards}


def render_board(page: BoardPage, site: Site, boards: Sequence[ModuleType]) -> str:
    refresh = getattr(page.board, "REFRESH_SECONDS", None) if site.live else None
    return _env.get_template("board.html").render(
        page=page,
        board=page.board,
        boards=boards,
        site=site,
        csp=CSP,
        assets=ASSETS_URL,
        json_block=json_block,
        refresh=refresh,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        dimension_values={k: sorted(v) for k, v in page.dimension_values.items() if v},
    )


def render_index(datasets: Sequence[str], boards: Sequence[ModuleType], site: Site, notes: Sequence[str] = ()) -> str:
    return _env.get_template("index.html").render(
        datasets=datasets,
        boards=boards,
        site=site,
        csp=CSP,
        assets="assets/",
        notes=notes,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
