"""Real-time panel: visitors, page views, orders and GMV per minute, refreshed while it is open."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext

SLUG = "realtime"
TITLE = "Real time"
SUMMARY = "The last two hours, minute by minute, from the streaming job; the page refreshes itself."
REFRESH_SECONDS = 5
WINDOWS = 120


def build(ctx: BoardContext) -> list[p.Panel]:
    # Timestamps are text in SQLite and timestamps in PostgreSQL: the range is applied here.
    frame = ctx.data.read(
        "realtime_minute",
        "SELECT window_start, uv, pv, orders, gmv FROM realtime_minute WHERE dataset = :dataset "
        "ORDER BY window_start DESC",
    )
    if frame is None:
        return [p.EmptyPanel("empty:realtime", "Real time", ctx.data.missing("realtime_minute"))]
    in_range = frame["window_start"].map(lambda w: ctx.filters.in_range(str(w)[:10])).astype(bool)
    frame = frame.loc[in_range].head(WINDOWS).iloc[::-1]
    if frame.empty:
        return [p.EmptyPanel("empty:realtime", "Real time", "No minute windows for this data set in the range.")]
    minutes = [str(w)[:16].replace("T", " ") for w in frame["window_start"]]
    last = frame.iloc[-1]
    cards = [
        p.Card(f"now:{name}", title, p.fmt(last[name], unit), f"minute of {minutes[-1]}", "")
        for name, title, unit in (
            ("uv", "Visitors", ""),
            ("pv", "Page views", ""),
            ("orders", "Orders", ""),
            ("gmv", "GMV", "CNY"),
        )
    ]
    return [
        p.KpiPanel("now", "Latest minute", cards),
        p.ChartPanel(
            "realtime:traffic",
            "Visitors and page views per minute",
            p.line(minutes, {"uv": frame["uv"].tolist(), "pv": frame["pv"].tolist()}),
        ),
        p.ChartPanel("realtime:orders", "Orders per minute", p.bar(minutes, {"orders": frame["orders"].tolist()})),
        p.ChartPanel("realtime:gmv", "GMV per minute (CNY)", p.line(minutes, {"gmv": frame["gmv"].tolist()}, "CNY")),
    ]
