"""One module per dashboard; BOARDS lists them in the order the index shows them."""

from ecomlab.dashboards.boards import (
    campaigns,
    cohorts,
    funnel,
    market,
    overview,
    quality,
    realtime,
    recommendations,
    rfm,
    risk,
    rules,
    traffic,
)

BOARDS = (overview, traffic, funnel, cohorts, rfm, rules, recommendations, campaigns, risk, market, quality, realtime)
BY_SLUG = {board.SLUG: board for board in BOARDS}
