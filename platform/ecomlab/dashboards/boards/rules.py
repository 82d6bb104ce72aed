"""Association rules as a graph: item sets bought together, linked antecedent -> consequent."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext

SLUG = "rules"
TITLE = "Association rules"
SUMMARY = "Items bought together: the strongest rules as a graph (edge weight: lift) and as a table."
TOP = 30


def build(ctx: BoardContext) -> list[p.Panel]:
    run = ctx.data.latest("mining_rules", "run_dt")
    if run is None:
        reason = ctx.data.missing("mining_rules") or "No rule rows for this data set."
        return [p.EmptyPanel("empty:rules", "Association rules", reason)]
    frame = ctx.data.read(
        "mining_rules",
        "SELECT rank, antecedent, consequent, support, confidence, lift, conviction FROM mining_rules "
        "WHERE dataset = :dataset AND run_dt = :run ORDER BY rank LIMIT :top",
        run=run,
        top=TOP,
    )
    support: dict[str, float] = {}
    for r in frame.itertuples(index=False):
        for node in (str(r.antecedent), str(r.consequent)):
            support[node] = max(support.get(node, 0.0), float(r.support))
    links = [(str(r.antecedent), str(r.consequent), float(r.lift)) for r in frame.itertuples(index=False)]
    rows = [
        [
            int(r.rank),
            str(r.antecedent),
            str(r.consequent),
            p.fmt(r.support),
            p.fmt(r.confidence),
            p.fmt(r.lift),
            p.fmt(r.conviction),
        ]
        for r in frame.itertuples(index=False)
    ]
    day = str(run)[:10]
    notes = ["Node size: support of the item set; edge: antecedent -> consequent, weighted by lift."]
    return [
        p.ChartPanel(
            "rules:graph",
            f"Top {len(frame)} rules ({day})",
            p.graph(list(support.items()), links, "rules"),
            notes,
            height=520,
        ),
        p.TablePanel(
            "rules",
            f"Top {len(frame)} rules ({day})",
            ["rank", "if bought", "then also", "support", "confidence", "lift", "conviction"],
            rows,
        ),
    ]
