"""Recommendation examples: top items for a few users, the models' offline scores, commodity indicators."""

from __future__ import annotations

from ecomlab.dashboards import panels as p
from ecomlab.dashboards.boards.common import BoardContext, category_panels

SLUG = "recommendations"
TITLE = "Recommendations"
SUMMARY = "What the recommender suggests to example users, how well each model scores, and commodity indicators."
USERS = 8
PER_USER = 5


def example_panel(ctx: BoardContext) -> p.Panel:
    run = ctx.data.latest("mining_recommendations", "run_dt")
    if run is None:
        reason = ctx.data.missing("mining_recommendations") or "No recommendation rows for this data set."
        return p.EmptyPanel("empty:recommendations", "Recommendation examples", reason)
    frame = ctx.data.read(
        "mining_recommendations",
        "SELECT user_id, rank, item_id, score, source FROM mining_recommendations WHERE dataset = :dataset "
        "AND run_dt = :run AND rank <= :per_user AND user_id IN (SELECT DISTINCT user_id FROM mining_recommendations "
        "WHERE dataset = :dataset AND run_dt = :run ORDER BY user_id LIMIT :users) ORDER BY user_id, rank",
        run=run,
        users=USERS,
        per_user=PER_USER,
    )
    rows = [[str(r.user_id), int(r.rank), str(r.item_id), p.fmt(r.score), str(r.source)] for r in frame.itertuples()]
    title = f"Top {PER_USER} items for {frame['user_id'].nunique()} users ({str(run)[:10]})"
    return p.TablePanel("recommendations", title, ["user", "rank", "item", "score", "source"], rows)


def eval_panel(ctx: BoardContext) -> p.Panel:
    run = ctx.data.latest("mining_rec_eval", "run_dt")
    if run is None:
        reason = ctx.data.missing("mining_rec_eval") or "No evaluation rows for this data set."
        return p.EmptyPanel("empty:rec-eval", "Model evaluation", reason)
    frame = ctx.data.read(
        "mining_rec_eval",
        "SELECT model, precision_at_10, recall_at_10, ndcg_at_10 FROM mining_rec_eval WHERE dataset = :dataset "
        "AND run_dt = :run ORDER BY model",
        run=run,
    )
    metrics = ["precision_at_10", "recall_at_10", "ndcg_at_10"]
    series = {str(r.model): [getattr(r, m) for m in metrics] for r in frame.itertuples(index=False)}
    notes = ["Held-out evaluation: precision, recall and NDCG of the top 10 items per user."]
    return p.ChartPanel("rec-eval", f"Model evaluation ({str(run)[:10]})", p.bar(metrics, series), notes)


def build(ctx: BoardContext) -> list[p.Panel]:
    return [example_panel(ctx), eval_panel(ctx), *category_panels(ctx, "commodity")]
