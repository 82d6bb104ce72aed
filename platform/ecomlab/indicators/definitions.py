"""How each indicator of the catalog is computed from the DWS summaries.

Most indicators are a measure, or a ratio of two measures, of the summaries: the measures
of one summary are computed together in one aggregate query, its breakdowns as grouping sets
(one pass per summary, however many indicators and breakdowns read it). The rest (cohorts, windows over
history, rankings, comparisons with the previous day) are SQL of their own that returns
rows of (day, indicator_id, dimension, dimension_value, num, den).

All SQL here is in the subset Spark SQL and DuckDB share, so the benchmark can run the
same statements on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

# Breakdowns each summary supports: dimension -> column.
VIEW_DIMENSIONS: dict[str, dict[str, str]] = {
    "dws_visitor_day": {},
    "dws_session": {"channel": "channel"},
    "dws_order": {"channel": "channel"},
    "dws_page": {"page": "page_type"},
    "dws_hour": {"hour": "hour"},
    "dws_payment": {},
    "dws_customer_day": {},
    "dws_item": {"category": "category_id"},
    "dws_campaign_day": {"campaign": "campaign_id", "channel": "channel"},
    "dws_feedback": {},
    "dws_market": {},
    "dws_restock": {},
    "dws_crawl_match": {},
    "dws_crawl_product": {"site": "site"},
}

# Measures: name -> (summary, aggregate expression).
MEASURES: dict[str, tuple[str, str]] = {
    "visitors": ("dws_visitor_day", "count(*)"),
    "page_views": ("dws_visitor_day", "sum(page_views)"),
    "new_visitors": ("dws_visitor_day", "sum(CASE WHEN first_day = day THEN 1 ELSE 0 END)"),
    "returning_visitors": ("dws_visitor_day", "sum(CASE WHEN first_day = day THEN 0 ELSE 1 END)"),
    "cart_adds": ("dws_visitor_day", "sum(cart_adds)"),
    "carted_visitors": ("dws_visitor_day", "sum(carted)"),
    "ordering_visitors": ("dws_visitor_day", "sum(ordered)"),
    "paying_visitors": ("dws_visitor_day", "sum(paid)"),
    "carted_paying_visitors": ("dws_visitor_day", "sum(carted * paid)"),
    "active_members": ("dws_visitor_day", "count(DISTINCT user_id)"),
    "visits": ("dws_session", "count(*)"),
    "visit_page_views": ("dws_session", "sum(page_views)"),
    "orders": ("dws_order", "count(*)"),
    "turnover": ("dws_order", "sum(amount)"),
    "sales": ("dws_order", "sum(CASE WHEN is_paid = 1 THEN amount ELSE 0 END)"),
    "paid_orders": ("dws_order", "sum(is_paid)"),
    "paid_line_amount": ("dws_order", "sum(CASE WHEN is_paid = 1 THEN line_amount ELSE 0 END)"),
    "gross_profit": ("dws_order", "sum(CASE WHEN is_paid = 1 THEN line_amount - cost_amount ELSE 0 END)"),
    "page_exits": ("dws_page", "sum(exits)"),
    "page_page_views": ("dws_page", "sum(views)"),
    "dwell_seconds": ("dws_page", "sum(dwell_seconds)"),
    "dwell_pages": ("dws_page", "sum(dwell_pages)"),
    "events": ("dws_hour", "sum(events)"),
    "payment_amount": ("dws_payment", "sum(amount)"),
    "paid_buyers": ("dws_payment", "count(DISTINCT user_id)"),
    "paid_items": ("dws_payment", "sum(qty)"),
    "cart_items": ("dws_item", "sum(CASE WHEN carts > 0 THEN 1 ELSE 0 END)"),
    "active_skus": ("dws_item", "sum(CASE WHEN views > 0 OR qty > 0 THEN 1 ELSE 0 END)"),
    "units_sold": ("dws_item", "sum(qty)"),
    "units_sold_and_left": ("dws_item", "sum(qty + stock)"),
    "stockouts": ("dws_item", "sum(CASE WHEN in_inventory > 0 AND stock = 0 THEN 1 ELSE 0 END)"),
    "inventory_items": ("dws_item", "sum(in_inventory)"),
    "cogs": ("dws_item", "sum(cogs)"),
    "stock_value": ("dws_item", "sum(stock * cost)"),
    "item_revenue": ("dws_item", "sum(revenue)"),
    "restock_lead_days": ("dws_restock", "sum(lead_days)"),
    "restocks": ("dws_restock", "count(*)"),
    "campaign_visits": ("dws_campaign_day", "sum(visits)"),
    "campaign_visitors": ("dws_campaign_day", "sum(visitors)"),
    "campaign_new_visitors": ("dws_campaign_day", "sum(new_visitors)"),
    "campaign_new_registrations": ("dws_campaign_day", "sum(new_registrations)"),
    "campaign_orders": ("dws_campaign_day", "sum(orders)"),
    "campaign_paid_amount": ("dws_campaign_day", "sum(paid_amount)"),
    "ad_cost": ("dws_campaign_day", "sum(cost)"),
    "buying_customers": ("dws_customer_day", "count(*)"),
    "customer_orders": ("dws_customer_day", "sum(orders)"),
    "new_customers": ("dws_customer_day", "sum(CASE WHEN first_day = day THEN 1 ELSE 0 END)"),
    "new_customer_amount": ("dws_customer_day", "sum(CASE WHEN first_day = day THEN amount ELSE 0 END)"),
    "reviews": ("dws_feedback", "sum(reviews)"),
    "negative_reviews": ("dws_feedback", "sum(negative_reviews)"),
    "complaints": ("dws_feedback", "sum(complaints)"),
    "refunds": ("dws_feedback", "sum(refunds)"),
    "shop_sales": ("dws_market", "sum(CASE WHEN site = 'shop' THEN sales ELSE 0 END)"),
    "all_sales": ("dws_market", "sum(sales)"),
    "shop_visitors": ("dws_market", "sum(CASE WHEN site = 'shop' THEN visitors ELSE 0 END)"),
    "all_visitors": ("dws_market", "sum(visitors)"),
    "crawl_matched_items": ("dws_crawl_match", "count(*)"),
    "crawl_price_ratios": ("dws_crawl_match", "sum(100 * own_price / nullif(competitor_price, 0))"),
    "crawl_price_gaps": ("dws_crawl_match", "sum(own_price - competitor_price)"),
    "crawl_cheaper_items": ("dws_crawl_match", "sum(CASE WHEN own_price < competitor_price THEN 1 ELSE 0 END)"),
    "crawl_rating_sum": ("dws_crawl_product", "sum(rating)"),
    "crawl_rated_items": ("dws_crawl_product", "count(rating)"),
    "crawl_items": ("dws_crawl_product", "count(*)"),
    "crawl_reviews": ("dws_crawl_product", "sum(reviews)"),
    "crawl_stock_known": ("dws_crawl_product", "count(stock)"),
    "crawl_stockouts": ("dws_crawl_product", "sum(CASE WHEN stock = 0 THEN 1 ELSE 0 END)"),
}


@dataclass(frozen=True)
class Measured:
    """A measure, or num / den: a ratio."""

    num: str
    den: str | None = None

    @property
    def ratio(self) -> bool:
        return self.den is not None

    def views(self) -> set[str]:
        return {MEASURES[m][0] for m in (self.num, self.den) if m}


@dataclass(frozen=True)
class Custom:
    """SQL of its own (one statement may give several indicators); ratio: rows carry a den."""

    sql: str
    views: frozenset[str]
    ratio: bool


M = Measured
MEASURED: dict[str, Measured] = {
    "uv": M("visitors"),
    "pv": M("page_views"),
    "pv_per_uv": M("page_views", "visitors"),
    "orders": M("orders"),
    "visit_order_conversion": M("orders", "visits"),
    "turnover": M("turnover"),
    "sales_amount": M("sales"),
    "avg_order_value": M("sales", "paid_orders"),
    "gross_profit": M("gross_profit"),
    "gross_margin": M("gross_profit", "paid_line_amount"),
    "visitor_acquisition_cost": M("ad_cost", "campaign_visitors"),
    "bounce_rate": M("page_exits", "page_page_views"),
    "avg_page_time": M("dwell_seconds", "dwell_pages"),
    "pages_per_visit": M("visit_page_views", "visits"),
    "new_visitors": M("new_visitors"),
    "returning_visitors": M("returning_visitors"),
    "new_visitor_share": M("new_visitors", "visitors"),
    "visits": M("visits"),
    "hourly_activity": M("events"),
    "cart_add_times": M("cart_adds"),
    "cart_add_buyers": M("carted_visitors"),
    "cart_add_items": M("cart_items"),
    "cart_conversion": M("carted_visitors", "visitors"),
    "cart_payment_conversion": M("carted_paying_visitors", "carted_visitors"),
    "browse_order_conversion": M("ordering_visitors", "visitors"),
    "buy_conversion": M("paying_visitors", "visitors"),
    "payment_amount": M("payment_amount"),
    "paid_buyers": M("paid_buyers"),
    "paid_items": M("paid_items"),
    "active_members": M("active_members"),
    "purchases_per_member": M("customer_orders", "buying_customers"),
    "new_customers": M("new_customers"),
    "new_customer_acquisition_cost": M("ad_cost", "new_customers"),
    "new_customer_unit_price": M("new_customer_amount", "new_customers"),
    "active_skus": M("active_skus"),
    "sell_through_rate": M("units_sold", "units_sold_and_left"),
    "stockout_rate": M("stockouts", "inventory_items"),
    "inventory_turnover": M("cogs", "stock_value"),
    "restock_lead_time": M("restock_lead_days", "restocks"),
    "top_categories": M("item_revenue"),
    "campaign_new_visitors": M("campaign_new_visitors"),
    "campaign_new_registrations": M("campaign_new_registrations"),
    "campaign_visits": M("campaign_visits"),
    "campaign_orders": M("campaign_orders"),
    "campaign_order_conversion": M("campaign_orders", "campaign_visits"),
    "campaign_roi": M("campaign_paid_amount", "ad_cost"),
    "review_participation_rate": M("reviews", "paid_orders"),
    "negative_review_rate": M("negative_reviews", "reviews"),
    "complaint_rate": M("complaints", "paid_orders"),
    "refund_rate": M("refunds", "paid_orders"),
    "market_share": M("shop_sales", "all_sales"),
    "user_share": M("shop_visitors", "all_visitors"),
    "crawl_price_index": M("crawl_price_ratios", "crawl_matched_items"),
    "crawl_price_gap": M("crawl_price_gaps", "crawl_matched_items"),
    "crawl_cheaper_share": M("crawl_cheaper_items", "crawl_matched_items"),
    "crawl_rating": M("crawl_rating_sum", "crawl_rated_items"),
    "crawl_reviews_per_item": M("crawl_reviews", "crawl_items"),
    "crawl_stockout_share": M("crawl_stockouts", "crawl_stock_known"),
}


def _row(day: str, indicator: str, dim: str, value: str, num: str, den: str = "CAST(NULL AS DOUBLE)") -> str:
    return (
        f"SELECT {day} AS day, '{indicator}' AS indicator_id, '{dim}' AS dimension, "
        f"CAST({value} AS STRING) AS dimension_value, CAST({num} AS DOUBLE) AS num, CAST({den} AS DOUBLE) AS den"
    )


def _unpivot(day: str, source: str, rows: list[tuple[str, str, str, str, str | None]]) -> str:
    """One row per (indicator, dimension, value, num, den) and row of `source`, which is read once.

    Spark does not materialise a WITH clause: a summary referenced by several UNION ALL branches
    is computed again for every branch, so the branches are a join with a small list instead.
    """
    keys = " UNION ALL ".join(
        f"SELECT {n} AS k, '{indicator}' AS indicator_id, '{dim}' AS dimension, '{value}' AS dimension_value"
        for n, (indicator, dim, value, _, _) in enumerate(rows)
    )

    def pick(position: int) -> str:
        cases = " ".join(
            f"WHEN {n} THEN CAST({row[position]} AS DOUBLE)" for n, row in enumerate(rows) if row[position] is not None
        )
        return f"CASE u.k {cases} ELSE CAST(NULL AS DOUBLE) END"

    return (
        f"SELECT {day} AS day, u.indicator_id, u.dimension, u.dimension_value, {pick(3)} AS num, {pick(4)} AS den "
        f"FROM {source} CROSS JOIN ({keys}) u"
    )


MEMBERS = f"""
WITH reg AS (SELECT r.day, count(u.user_id) AS n FROM req r LEFT JOIN dws_users u ON u.reg_day <= r.day GROUP BY r.day),
act AS (SELECT day, count(DISTINCT user_id) AS n FROM dws_visitor_day GROUP BY day)
{
    _unpivot(
        "reg.day",
        "reg LEFT JOIN act ON act.day = reg.day",
        [
            ("registered_members", "", "", "reg.n", None),
            ("active_member_rate", "", "", "coalesce(act.n, 0)", "reg.n"),
        ],
    )
}"""

RETENTION = f"""
WITH k AS (SELECT 1 AS k UNION ALL SELECT 7 AS k UNION ALL SELECT 30 AS k),
cohort AS (SELECT first_day, count(*) AS n FROM dws_vfirst GROUP BY first_day),
kept AS (SELECT day, first_day, count(*) AS n FROM dws_visitor_day GROUP BY day, first_day)
{_row("r.day", "retention_rate", "cohort_day", "k.k", "coalesce(kept.n, 0)", "coalesce(cohort.n, 0)")}
FROM req r CROSS JOIN k JOIN cal c ON c.day_index = r.day_index - k.k
LEFT JOIN cohort ON cohort.first_day = c.day
LEFT JOIN kept ON kept.day = r.day AND kept.first_day = c.day"""

REPURCHASE = f"""
WITH prior AS (
  SELECT r.day, c.customer_id FROM req r
  JOIN dws_customer_day c ON c.day_index >= r.day_index - 30 AND c.day_index < r.day_index
  GROUP BY r.day, c.customer_id
)
{_row("r.day", "member_repurchase_rate", "", "''", "count(t.customer_id)", "count(p.customer_id)")}
FROM req r LEFT JOIN prior p ON p.day = r.day
LEFT JOIN dws_customer_day t ON t.day = p.day AND t.customer_id = p.customer_id
GROUP BY r.day"""

MONTH_TO_DATE = f"""
WITH m AS (
  SELECT r.day, c.customer_id, count(*) AS days, sum(c.amount) AS amount,
    max(CASE WHEN c.first_day >= concat(r.month, '-01') THEN 1 ELSE 0 END) AS is_new
  FROM req r JOIN dws_customer_day c ON c.month = r.month AND c.day_index <= r.day_index
  GROUP BY r.day, c.customer_id
),
agg AS (
  SELECT r.day, coalesce(sum(m.is_new), 0) AS new_customers, coalesce(sum(m.amount), 0) AS amount,
    count(m.customer_id) AS customers, coalesce(sum(CASE WHEN m.days >= 2 THEN 1 ELSE 0 END), 0) AS repeaters
  FROM req r LEFT JOIN m ON m.day = r.day GROUP BY r.day
)
{
    _unpivot(
        "agg.day",
        "agg",
        [
            ("new_customers_month", "", "", "new_customers", None),
            ("customer_consumption_amount", "", "", "amount", None),
            ("repeat_purchase_rate", "", "", "repeaters", "customers"),
        ],
    )
}"""


def _score(order: str) -> str:
    return f"1 + least(4, CAST(floor(5 * percent_rank() OVER (PARTITION BY day ORDER BY {order})) AS INT))"


RFM = f"""
WITH base AS (
  SELECT r.day, c.customer_id, r.day_index - max(c.day_index) AS recency, count(*) AS frequency,
    round(sum(c.amount), 2) AS monetary
  FROM req r JOIN dws_customer_day c ON c.day_index <= r.day_index AND c.day_index > r.day_index - 365
  GROUP BY r.day, r.day_index, c.customer_id
),
scored AS (
  SELECT day, {_score("recency DESC")} AS r, {_score("frequency")} AS f, {_score("monetary")} AS m FROM base
),
seg AS (
  SELECT day, r + f + m AS score,
    CASE WHEN r >= 4 AND f >= 4 THEN 'champions' WHEN f >= 4 THEN 'loyal' WHEN r >= 4 AND f <= 2 THEN 'new'
         WHEN r <= 2 AND f >= 3 THEN 'at_risk' WHEN r <= 2 THEN 'hibernating' ELSE 'others' END AS segment
  FROM scored
),
-- Both grains in one pass over the scores (a WITH clause read twice is computed twice).
g AS (
  SELECT day, segment, grouping(segment) AS whole_day, sum(score) AS score, count(*) AS customers
  FROM seg GROUP BY GROUPING SETS ((day), (day, segment))
)
SELECT day, CASE WHEN whole_day = 1 THEN 'rfm_avg_score' ELSE 'rfm_customers' END AS indicator_id,
  CASE WHEN whole_day = 1 THEN '' ELSE 'segment' END AS dimension,
  CASE WHEN whole_day = 1 THEN '' ELSE CAST(segment AS STRING) END AS dimension_value,
  CAST(CASE WHEN whole_day = 1 THEN score ELSE customers END AS DOUBLE) AS num,
  CAST(CASE WHEN whole_day = 1 THEN customers END AS DOUBLE) AS den
FROM g"""

_TOP_ITEMS = """top AS (
  SELECT day, item_id, round(revenue, 2) AS revenue, views,  category_id,
    row_number() OVER (PARTITION BY day ORDER BY round(revenue, 2) DESC, item_id) AS rn
  FROM dws_item WHERE qty > 0
)"""

TOP_PRODUCTS = f"""
WITH {_TOP_ITEMS}
{_row("day", "top_products", "item", "item_id", "revenue")} FROM top WHERE rn <= 10"""

ADVANTAGE = f"""
WITH {_TOP_ITEMS},
cat AS (SELECT day, category_id, sum(revenue) AS revenue, sum(views) AS views FROM dws_item GROUP BY day, category_id)
{_row("t.day", "product_advantage_index", "item", "t.item_id", "100 * t.revenue * c.views", "c.revenue * t.views")}
FROM top t JOIN cat c ON c.day = t.day AND c.category_id = t.category_id WHERE t.rn <= 10"""

BRANDS = f"""
WITH b AS (
  SELECT day, brand_id, round(sum(revenue), 2) AS revenue FROM dws_item
  WHERE qty > 0 AND brand_id IS NOT NULL GROUP BY day, brand_id
),
total AS (SELECT day, sum(revenue) AS revenue FROM b GROUP BY day),
ranked AS (
  SELECT day, brand_id, revenue, row_number() OVER (PARTITION BY day ORDER BY revenue DESC, brand_id) AS rn FROM b
)
{_row("r.day", "brand_share", "brand", "r.brand_id", "r.revenue", "t.revenue")}
FROM ranked r JOIN total t ON t.day = r.day WHERE r.rn <= 10"""

UPLIFT = f"""
WITH base AS (SELECT day, channel, count(*) AS visits FROM dws_session WHERE campaign_id IS NULL GROUP BY day, channel)
{_row("c.day", "campaign_uplift", "campaign", "c.campaign_id", "c.visits + b.visits", "b.visits")}
FROM dws_campaign_day c LEFT JOIN base b ON b.day = c.day AND b.channel = c.channel WHERE c.visits > 0"""

# The funnel's stages in order, with the column of f counting the visitors who reached each.
_FUNNEL_STAGES = (("view", "v"), ("cart", "c"), ("order", "o"), ("pay", "p"))
FUNNEL = """
WITH f AS (
  SELECT day, sum(viewed) AS v, sum(carted) AS c, sum(ordered) AS o, sum(paid) AS p FROM dws_visitor_day GROUP BY day
)
""" + _unpivot(
    "f.day",
    "f",
    [("funnel_visitors", "stage", stage, n, None) for stage, n in _FUNNEL_STAGES]
    # Each stage's conversion is over the stage before it.
    + [("funnel_conversion", "stage", stage, n, before) for (_, before), (stage, n) in pairwise(_FUNNEL_STAGES)],
)

MARKET = f"""
WITH share AS (
  SELECT day, sum(CASE WHEN site = 'shop' THEN sales ELSE 0 END) / nullif(sum(sales), 0) AS share
  FROM dws_market GROUP BY day HAVING sum(sales) > 0
)
{_row("r.day", "market_expansion_rate", "", "''", "cur.share - prev.share", "prev.share")}
FROM req r LEFT JOIN share cur ON cur.day = r.day LEFT JOIN share prev ON prev.day = r.prev_day"""

RANKS = f"""
{_row("day", "transaction_volume_rank", "site", "site", "rank() OVER (PARTITION BY day ORDER BY round(sales, 2) DESC)")}
FROM dws_market
UNION ALL
{_row("day", "traffic_rank", "site", "site", "rank() OVER (PARTITION BY day ORDER BY visitors DESC)")}
FROM dws_market"""

C = Custom
CUSTOM_SQL: list[tuple[tuple[str, ...], Custom]] = [
    (("registered_members",), C(MEMBERS, frozenset({"dws_users", "dws_visitor_day"}), False)),
    (("active_member_rate",), C(MEMBERS, frozenset({"dws_users", "dws_visitor_day"}), True)),
    (("retention_rate",), C(RETENTION, frozenset({"dws_vfirst", "dws_visitor_day"}), True)),
    (("member_repurchase_rate",), C(REPURCHASE, frozenset({"dws_customer_day"}), True)),
    (("new_customers_month", "customer_consumption_amount"), C(MONTH_TO_DATE, frozenset({"dws_customer_day"}), False)),
    (("repeat_purchase_rate",), C(MONTH_TO_DATE, frozenset({"dws_customer_day"}), True)),
    (("rfm_avg_score",), C(RFM, frozenset({"dws_customer_day"}), True)),
    (("rfm_customers",), C(RFM, frozenset({"dws_customer_day"}), False)),
    (("top_products",), C(TOP_PRODUCTS, frozenset({"dws_item"}), False)),
    (("product_advantage_index",), C(ADVANTAGE, frozenset({"dws_item"}), True)),
    (("brand_share",), C(BRANDS, frozenset({"dws_item"}), True)),
    (("campaign_uplift",), C(UPLIFT, frozenset({"dws_campaign_day", "dws_session"}), True)),
    (("funnel_visitors",), C(FUNNEL, frozenset({"dws_visitor_day"}), False)),
    (("funnel_conversion",), C(FUNNEL, frozenset({"dws_visitor_day"}), True)),
    (("market_expansion_rate",), C(MARKET, frozenset({"dws_market"}), True)),
    (("transaction_volume_rank", "traffic_rank"), C(RANKS, frozenset({"dws_market"}), False)),
]
CUSTOM: dict[str, Custom] = {i: spec for ids, spec in CUSTOM_SQL for i in ids}


def implemented() -> set[str]:
    """Every indicator id the code computes."""
    return set(MEASURED) | set(CUSTOM)


def views_of(indicator_id: str) -> set[str]:
    spec = MEASURED.get(indicator_id)
    return spec.views() if spec else set(CUSTOM[indicator_id].views)


def is_ratio(indicator_id: str) -> bool:
    spec = MEASURED.get(indicator_id) or CUSTOM[indicator_id]
    return spec.ratio
