"""RFM segments: size and value share of each customer segment, lifetime value, member indicators."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels

SLUG = "rfm"
TITLE = "RFM segments"
SUMMARY = "Customer segments by recency, frequency and monetary value; expected lifetime value; members."
CATEGORY = "members"


def segment_panels(ctx: BoardContext) -> list[p.Panel]:
    run = ctx.data.latest("mining_segments", "run_dt")
    if run is None:
        reason = ctx.data.missing("mining_segments") or "No segment rows for this data set."
        return [p.EmptyPanel("empty:segments", "RFM segments", reason)]
    frame = ctx.data.read(
        "mining_segments",
        "SELECT segment, label, size, avg_recency, avg_frequency, avg_monetary, value_share FROM mining_segments "
        "WHERE dataset = :dataset AND run_dt = :run ORDER BY segment",
        run=run,
    )
    names = [str(r.label) for r in frame.itertuples(index=False)]
    day = str(run)[:10]
    rows = [
        [
            str(r.label),
            int(r.size),
            p.fmt(r.avg_recency),
            p.fmt(r.avg_frequency),
            p.fmt(r.avg_monetary),
            p.fmt(100 * r.value_share, "%"),
        ]
        for r in frame.itertuples(index=False)
    ]
    return [
        p.ChartPanel(
            "segments:size", f"Customers per segment ({day})", p.bar(names, {"customers": frame["size"].tolist()})
        ),
        p.ChartPanel(
            "segments:value",
            f"Share of value per segment ({day})",
            p.pie("value share", list(zip(names, frame["value_share"].tolist(), strict=True))),
        ),
        p.TablePanel(
            "segments",
            f"Segment profiles ({day})",
            ["segment", "customers", "avg recency (days)", "avg frequency", "avg monetary", "value share"],
            rows,
        ),
    ]


def clv_panels(ctx: BoardContext) -> list[p.Panel]:
    run = ctx.data.latest("mining_clv", "run_dt")
    if run is None:
        reason = ctx.data.missing("mining_clv") or "No lifetime value rows for this data set."
        return [p.EmptyPanel("empty:clv", "Customer lifetime value", reason)]
    # Nulls last in SQLite and PostgreSQL alike: a value a skipped model could not give is not the highest.
    top = ctx.data.read(
        "mining_clv",
        "SELECT customer_id, expected_purchases, expected_value, note FROM mining_clv WHERE dataset = :dataset "
        "AND run_dt = :run ORDER BY expected_value IS NULL, expected_value DESC, customer_id LIMIT 10",
        run=run,
    )
    rows = [[str(r.customer_id), p.fmt(r.expected_purchases), p.fmt(r.expected_value)] for r in top.itertuples()]
    notes = sorted({str(note) for note in top["note"].dropna()})
    panels: list[p.Panel] = [
        p.TablePanel(
            "clv",
            f"Highest expected lifetime value ({str(run)[:10]})",
            ["customer", "expected purchases", "expected value"],
            rows,
            notes,
        )
    ]
    params = ctx.data.read(
        "mining_clv_params",
        "SELECT param, value, note FROM mining_clv_params WHERE dataset = :dataset AND run_dt = :run",
        run=run,
    )
    if params is not None and not params.empty:
        rows = [[str(r.param), p.fmt(r.value) if r.note is None else str(r.note)] for r in params.itertuples()]
        panels.append(p.TablePanel("clv-params", "Fitted model parameters", ["parameter", "value"], rows))
    return panels


def build(ctx: BoardContext) -> list[p.Panel]:
    return segment_panels(ctx) + clv_panels(ctx) + category_panels(ctx, CATEGORY)
