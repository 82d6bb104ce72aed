"""Risk control: refunds, complaints, suspicious orders and other risk indicators."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels

SLUG = "risk"
TITLE = "Risk control"
SUMMARY = "Refund, complaint and anomaly indicators over time and by dimension."
CATEGORY = "risk"


def build(ctx: BoardContext) -> list[p.Panel]:
    return category_panels(ctx, CATEGORY)
