"""An independent computation of the indicators, to check the Spark SQL against.

Written apart from ecomlab.indicators (no shared SQL or summaries): DuckDB only reads the
DWD Parquet files, everything else is plain pandas over the detail rows, following the
catalog's definitions. Returns {(day, indicator_id, dimension, dimension_value): value};
a value that the definition leaves undefined (zero denominator) is None.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

Key = tuple[str, str, str, str]


RULES = Path(__file__).resolve().parents[2] / "platform" / "ecomlab" / "cleaning" / "rules.yaml"


def read(dwd_root: str, table: str, columns: str = "*") -> pd.DataFrame:
    root = Path(dwd_root.removeprefix("file://")) / table
    if not any(root.glob("*/*.parquet")):
        # A table without rows (say, no restock in a short simulation) has no files: its
        # columns are the ones the cleaning rules declare.
        declared = yaml.safe_load(RULES.read_text())["tables"][table]["columns"]
        return pd.DataFrame(columns=[*declared, "dt"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sql = (
        f"SELECT {columns} FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true, "
        "hive_types_autocast = false, union_by_name = true)"
    )
    return con.execute(sql).df()


def _ratio(num, den):
    return None if den == 0 or pd.isna(den) else float(num) / float(den)


def _shift(day: str, n: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=n)).isoformat()


class Out(dict):
    def put(self, day, indicator, value, dim="", dv=""):
        self[(day, indicator, dim, str(dv))] = None if value is None or pd.isna(value) else float(value)

    def ratio(self, day, indicator, num, den, dim="", dv=""):
        self.put(day, indicator, _ratio(num, den), dim, dv)

    def ratios(self, day, indicator, num: pd.Series, den: pd.Series, dim: str):
        for key in den.index.union(num.index):
            label = int(key) if isinstance(key, float) and key.is_integer() else key
            self.ratio(day, indicator, num.get(key, 0), den.get(key, 0), dim, label)


def customer_indicators(out: Out, buys: pd.DataFrame, days: list[str]) -> None:
    """buys: one row per purchase with columns customer, day, amount (paid purchases only)."""
    first = buys.groupby("customer").day.min()
    per_day = buys.groupby(["day", "customer"]).agg(orders=("amount", "size"), amount=("amount", "sum")).reset_index()
    per_day["first_day"] = per_day.customer.map(first)
    per_day["ordinal"] = pd.to_datetime(per_day.day).map(lambda d: d.toordinal())
    for day in days:
        today = per_day[per_day.day == day]
        ordinal = date.fromisoformat(day).toordinal()
        prior = set(per_day[(per_day.ordinal >= ordinal - 30) & (per_day.ordinal < ordinal)].customer)
        out.ratio(day, "member_repurchase_rate", len(prior & set(today.customer)), len(prior))
        out.ratio(day, "purchases_per_member", today.orders.sum(), len(today))
        new = today[today.first_day == day]
        out.put(day, "new_customers", len(new))
        out.ratio(day, "new_customer_unit_price", new.amount.sum(), len(new))
        month = per_day[(per_day.day.str[:7] == day[:7]) & (per_day.day <= day)]
        out.put(day, "new_customers_month", month[month.first_day >= day[:7] + "-01"].customer.nunique())
        out.put(day, "customer_consumption_amount", month.amount.sum())
        purchase_days = month.groupby("customer").size()
        out.ratio(day, "repeat_purchase_rate", (purchase_days >= 2).sum(), len(purchase_days))
        window = per_day[(per_day.ordinal <= ordinal) & (per_day.ordinal > ordinal - 365)]
        rfm = window.groupby("customer").agg(
            last=("ordinal", "max"), frequency=("day", "size"), monetary=("amount", "sum")
        )
        rfm["recency"] = ordinal - rfm["last"]
        rfm["monetary"] = rfm.monetary.round(2)

        def score(values: pd.Series, ascending: bool) -> pd.Series:
            n = len(values)
            rank = values.rank(method="min", ascending=ascending)
            pr = (rank - 1) / (n - 1) if n > 1 else rank * 0
            return 1 + np.minimum(4, np.floor(5 * pr))

        r, f, m = score(rfm.recency, False), score(rfm.frequency, True), score(rfm.monetary, True)
        out.ratio(day, "rfm_avg_score", (r + f + m).sum(), len(rfm))
        segment = np.select(
            [(r >= 4) & (f >= 4), f >= 4, (r >= 4) & (f <= 2), (r <= 2) & (f >= 3), r <= 2],
            ["champions", "loyal", "new", "at_risk", "hibernating"],
            "others",
        )
        for name, count in pd.Series(segment).value_counts().items():
            out.put(day, "rfm_customers", count, "segment", name)


def visitor_indicators(out: Out, ev: pd.DataFrame, orders_by_visitor: pd.DataFrame | None, days: list[str]) -> None:
    """ev: events with visitor, day, kind ('view', 'cart', other), hour. orders_by_visitor: day, visitor, paid."""
    first = ev.groupby("visitor").day.min()
    for day in days:
        d = ev[ev.day == day]
        visitors = set(d.visitor)
        uv = len(visitors)
        out.put(day, "uv", uv)
        pv = int((d.kind == "view").sum())
        out.put(day, "pv", pv)
        out.ratio(day, "pv_per_uv", pv, uv)
        new = {v for v in visitors if first[v] == day}
        out.put(day, "new_visitors", len(new))
        out.put(day, "returning_visitors", uv - len(new))
        out.ratio(day, "new_visitor_share", len(new), uv)
        for hour, n in d.groupby("hour").size().items():
            out.put(day, "hourly_activity", n, "hour", int(hour))
        carts = d[d.kind == "cart"]
        carted = set(carts.visitor)
        out.put(day, "cart_add_times", len(carts))
        out.put(day, "cart_add_buyers", len(carted))
        out.ratio(day, "cart_conversion", len(carted), uv)
        viewed = set(d[d.kind == "view"].visitor)
        if orders_by_visitor is None:
            ordered = paid = set(d[d.kind == "buy"].visitor)
        else:
            o = orders_by_visitor[orders_by_visitor.day == day]
            ordered, paid = set(o.visitor), set(o[o.paid].visitor)
        out.ratio(day, "browse_order_conversion", len(ordered), uv)
        out.ratio(day, "buy_conversion", len(paid), uv)
        out.ratio(day, "cart_payment_conversion", len(carted & paid), len(carted))
        stages = [("view", viewed), ("cart", carted), ("order", ordered), ("pay", paid)]
        for n, (name, group) in enumerate(stages):
            out.put(day, "funnel_visitors", len(group), "stage", name)
            if n:
                out.ratio(day, "funnel_conversion", len(group), len(stages[n - 1][1]), "stage", name)
        for k in (1, 7, 30):
            cohort = {v for v, f in first.items() if f == _shift(day, k)}
            out.ratio(day, "retention_rate", len(cohort & visitors), len(cohort), "cohort_day", k)


def taobao(dwd_root: str, days: list[str]) -> Out:
    raw = read(dwd_root, "taobao_user_behavior", 'user_id, behavior_type, "timestamp" AS ts')
    local = pd.to_datetime(raw.ts) + pd.Timedelta(hours=8)
    ev = pd.DataFrame(
        {
            "visitor": raw.user_id.astype(str),
            "day": local.dt.strftime("%Y-%m-%d"),
            "hour": local.dt.hour,
            "kind": raw.behavior_type.map({"pv": "view", "cart": "cart", "buy": "buy"}).fillna("other"),
        }
    )
    ev = ev[ev.day <= max(days)]
    out = Out()
    visitor_indicators(out, ev, None, days)
    return out


def cdnow(dwd_root: str, days: list[str], sample: bool = False) -> Out:
    if sample:
        # The 1/10 sample names its customers by their master-file id.
        raw = read(
            dwd_root, "cdnow_sample_purchases", "master_id AS customer_id, CAST(date AS VARCHAR) AS day, dollar_value"
        )
    else:
        raw = read(dwd_root, "cdnow_purchases", "customer_id, CAST(date AS VARCHAR) AS day, dollar_value")
    buys = pd.DataFrame({"customer": raw.customer_id, "day": raw.day, "amount": raw.dollar_value.astype(float)})
    buys = buys[buys.day <= max(days)]
    out = Out()
    customer_indicators(out, buys, days)
    return out


def shop(dwd_root: str, days: list[str]) -> Out:
    last = max(days)
    t = {
        name: read(dwd_root, name)
        for name in (
            "shop_events",
            "shop_orders",
            "shop_order_items",
            "shop_payments",
            "shop_refunds",
            "shop_reviews",
            "shop_complaints",
            "shop_inventory",
            "shop_restocks",
            "shop_ad_spend",
            "shop_market",
            "shop_items",
            "shop_users",
        )
    }
    for frame in t.values():
        for column in frame.columns:
            if frame[column].dtype == object and column not in ("dt",) and column in MONEY:
                frame[column] = frame[column].astype(float)
    items = t["shop_items"][t["shop_items"].dt == t["shop_items"].dt.max()].set_index("item_id")
    users = t["shop_users"][t["shop_users"].dt == t["shop_users"].dt.max()]
    reg_day = pd.to_datetime(users.registered_at).dt.strftime("%Y-%m-%d")
    ev = t["shop_events"][t["shop_events"].dt <= last].copy()
    ev["hour"] = pd.to_datetime(ev.event_time).dt.hour
    orders = t["shop_orders"][t["shop_orders"].dt <= last].copy()
    orders["paid"] = orders.status == "paid"
    lines = t["shop_order_items"].copy()
    lines["amount"] = lines.quantity * lines.unit_price
    lines["cost"] = lines.quantity * lines.item_id.map(items.cost)
    per_order = lines.groupby("order_id").agg(qty=("quantity", "sum"), amount=("amount", "sum"), cost=("cost", "sum"))
    orders = orders.join(per_order, on="order_id")
    session_visitor = ev.groupby("session_id").visitor_id.min()
    orders["visitor"] = orders.session_id.map(session_visitor)

    generic = pd.DataFrame(
        {
            "visitor": ev.visitor_id,
            "day": ev.dt,
            "hour": ev.hour,
            "kind": ev.event_type.map({"page_view": "view", "cart_add": "cart"}).fillna("other"),
        }
    )
    by_visitor = orders.dropna(subset=["visitor"]).rename(columns={"dt": "day"})[["day", "visitor", "paid"]]
    out = Out()
    visitor_indicators(out, generic, by_visitor, days)
    paid_orders = orders[orders.paid]
    customer_indicators(
        out,
        pd.DataFrame({"customer": paid_orders.user_id, "day": paid_orders.dt, "amount": paid_orders.total_amount}),
        days,
    )
    first_seen = ev.groupby("visitor_id").dt.min()

    for day in days:
        d = ev[ev.dt == day]
        views = d[d.event_type == "page_view"]
        sessions = d.groupby("session_id").agg(
            channel=("channel", "min"),
            campaign=("campaign_id", "min"),
            visitor=("visitor_id", "min"),
            user=("user_id", "min"),
            pv=("event_type", lambda s: (s == "page_view").sum()),
        )
        o = orders[orders.dt == day]
        po = o[o.paid]
        # overall
        out.put(day, "orders", len(o))
        out.put(day, "turnover", o.total_amount.sum())
        out.put(day, "sales_amount", po.total_amount.sum())
        out.ratio(day, "avg_order_value", po.total_amount.sum(), len(po))
        out.ratio(day, "visit_order_conversion", len(o), len(sessions))
        gross = po.amount.fillna(0).sum() - po.cost.fillna(0).sum()
        out.put(day, "gross_profit", gross)
        out.ratio(day, "gross_margin", gross, po.amount.fillna(0).sum())
        visits_by_channel = sessions.groupby("channel").size()
        out.ratios(day, "visit_order_conversion", o.groupby("channel").size(), visits_by_channel, "channel")
        for channel, n in o.groupby("channel").size().items():
            out.put(day, "orders", n, "channel", channel)
            out.put(day, "turnover", o[o.channel == channel].total_amount.sum(), "channel", channel)
        for channel in set(po.channel.dropna()) | set(o.channel.dropna()):
            part = po[po.channel == channel]
            out.put(day, "sales_amount", part.total_amount.sum(), "channel", channel)
            out.ratio(day, "avg_order_value", part.total_amount.sum(), len(part), "channel", channel)
        # traffic
        out.ratio(day, "bounce_rate", views.is_exit.sum(), len(views))
        out.ratios(
            day, "bounce_rate", views.groupby("page_type").is_exit.sum(), views.groupby("page_type").size(), "page"
        )
        dwell = views.dropna(subset=["dwell_seconds"])
        out.ratio(day, "avg_page_time", dwell.dwell_seconds.sum(), len(dwell))
        out.ratios(
            day,
            "avg_page_time",
            dwell.groupby("page_type").dwell_seconds.sum(),
            dwell.groupby("page_type").size(),
            "page",
        )
        out.ratio(day, "pages_per_visit", sessions.pv.sum(), len(sessions))
        out.ratios(day, "pages_per_visit", sessions.groupby("channel").pv.sum(), visits_by_channel, "channel")
        out.put(day, "visits", len(sessions))
        for channel, n in visits_by_channel.items():
            out.put(day, "visits", n, "channel", channel)
        # conversion
        out.put(day, "cart_add_items", d[d.event_type == "cart_add"].item_id.nunique())
        pays = t["shop_payments"][t["shop_payments"].dt == day]
        span_orders = orders[orders.dt.isin({day, _shift(day, 1)})].set_index("order_id")
        out.put(day, "payment_amount", pays.amount.sum())
        out.put(day, "paid_buyers", pays.order_id.map(span_orders.user_id).nunique())
        out.put(day, "paid_items", pays.order_id.map(span_orders.qty).sum())
        # members
        out.put(day, "registered_members", int((reg_day <= day).sum()))
        active = d.user_id.dropna().nunique()
        out.put(day, "active_members", active)
        out.ratio(day, "active_member_rate", active, int((reg_day <= day).sum()))
        spend = t["shop_ad_spend"][t["shop_ad_spend"].dt == day]
        new_customers = out[(day, "new_customers", "", "")]
        out.ratio(day, "new_customer_acquisition_cost", spend.cost.sum(), new_customers)
        # commodity
        sold = lines[lines.order_id.isin(po.order_id) & (lines.dt == day)]
        inv = t["shop_inventory"][t["shop_inventory"].dt == day].copy()
        item_views = views.dropna(subset=["item_id"]).groupby("item_id").size()
        qty = sold.groupby("item_id").quantity.sum()
        revenue = sold.groupby("item_id").amount.sum()
        active_items = set(item_views[item_views > 0].index) | set(qty[qty > 0].index)
        out.put(day, "active_skus", len(active_items))
        inv["category"] = inv.item_id.map(items.category_id)
        inv["cost"] = inv.item_id.map(items.cost)
        sold = sold.assign(category=sold.item_id.map(items.category_id))
        out.ratio(day, "sell_through_rate", sold.quantity.sum(), sold.quantity.sum() + inv.stock_on_hand.sum())
        out.ratio(day, "stockout_rate", (inv.stock_on_hand == 0).sum(), len(inv))
        out.ratio(day, "inventory_turnover", sold.cost.sum(), (inv.stock_on_hand * inv.cost).sum())
        cat_qty = sold.groupby("category").quantity.sum()
        cat_stock = inv.groupby("category").stock_on_hand.sum()
        out.ratios(day, "sell_through_rate", cat_qty, cat_qty.add(cat_stock, fill_value=0), "category")
        out.ratios(
            day,
            "stockout_rate",
            inv.groupby("category").stock_on_hand.apply(lambda s: (s == 0).sum()),
            inv.groupby("category").size(),
            "category",
        )
        out.ratios(
            day,
            "inventory_turnover",
            sold.groupby("category").cost.sum(),
            (inv.stock_on_hand * inv.cost).groupby(inv.category).sum(),
            "category",
        )
        restocks = t["shop_restocks"][(t["shop_restocks"].dt == day)].dropna(subset=["ordered_at"])
        lead = (pd.to_datetime(restocks.received_at) - pd.to_datetime(restocks.ordered_at)).dt.total_seconds() / 86400
        out.ratio(day, "restock_lead_time", lead.sum(), len(lead))
        cats = sold.groupby("category").amount.sum()
        seen_categories = set(inv.category.dropna()) | set(d.item_id.dropna().map(items.category_id).dropna())
        for category in seen_categories | set(cats.index):
            out.put(day, "top_categories", cats.get(category, 0.0), "category", int(category))
        ranked = revenue.round(2).reset_index().sort_values(["amount", "item_id"], ascending=[False, True]).head(10)
        item_category = pd.Series(items.category_id)
        all_views = views.dropna(subset=["item_id"])
        cat_views = all_views.item_id.map(item_category).value_counts()
        for item, value in zip(ranked.item_id, ranked.amount, strict=True):
            out.put(day, "top_products", value, "item", int(item))
            category = item_category.get(item)
            cat_revenue = cats.get(category, 0.0)
            out.ratio(
                day,
                "product_advantage_index",
                100 * value * cat_views.get(category, 0),
                cat_revenue * item_views.get(item, 0),
                "item",
                int(item),
            )
        brands = sold.assign(brand=sold.item_id.map(items.brand_id)).dropna(subset=["brand"])
        brand_revenue = brands.groupby("brand").amount.sum().round(2)
        top_brands = brand_revenue.reset_index().sort_values(["amount", "brand"], ascending=[False, True]).head(10)
        for brand, value in zip(top_brands.brand, top_brands.amount, strict=True):
            out.ratio(day, "brand_share", value, brand_revenue.sum(), "brand", int(brand))
        # campaigns
        camp = sessions.dropna(subset=["campaign"]).copy()
        camp["new_visitor"] = camp.visitor.map(first_seen) == day
        camp["registered_today"] = camp.user.map(dict(zip(users.user_id, reg_day, strict=True))) == day
        session_orders = o.set_index("session_id")
        camp["ordered"] = camp.index.isin(session_orders.index)
        camp["paid_amount"] = camp.index.map(
            lambda s, so=session_orders: so.total_amount.get(s, 0.0) if so.paid.get(s, False) else 0.0
        )
        per = camp.groupby("campaign").agg(
            channel=("channel", "min"),
            visits=("visitor", "size"),
            visitors=("visitor", "nunique"),
            new_visitors=("visitor", lambda v, c=camp: v[c.loc[v.index, "new_visitor"]].nunique()),
            new_registrations=("user", lambda u, c=camp: u[c.loc[u.index, "registered_today"]].nunique()),
            orders=("ordered", "sum"),
            paid_amount=("paid_amount", "sum"),
        )
        cost = spend.groupby("campaign_id").cost.sum()
        spend_channel = spend.groupby("campaign_id").channel.min()
        per = per.reindex(per.index.union(cost.index))
        per["channel"] = per.channel.fillna(spend_channel)
        per["cost"] = cost.reindex(per.index).fillna(0.0)
        per = per.fillna(0)
        for level, groups in (
            ("", per.assign(g="")),
            ("campaign", per.assign(g=per.index.astype(int))),
            ("channel", per.assign(g=per.channel)),
        ):
            g = groups.groupby("g").sum(numeric_only=True)
            if level == "" and g.empty:
                g = pd.DataFrame([dict.fromkeys(per.columns.drop("channel"), 0.0)], index=[""])
            for key, row in g.iterrows():
                out.put(day, "campaign_visits", row.visits, level, key)
                out.put(day, "campaign_new_visitors", row.new_visitors, level, key)
                out.put(day, "campaign_new_registrations", row.new_registrations, level, key)
                out.put(day, "campaign_orders", row.orders, level, key)
                out.ratio(day, "campaign_order_conversion", row.orders, row.visits, level, key)
                out.ratio(day, "campaign_roi", row.paid_amount, row.cost, level, key)
                out.ratio(day, "visitor_acquisition_cost", row.cost, row.visitors, level, key)
        base = sessions[sessions.campaign.isna()].groupby("channel").size()
        for campaign, row in per[per.visits > 0].iterrows():
            b = base.get(row.channel)
            out.ratio(day, "campaign_uplift", row.visits + (b or 0), b, "campaign", int(campaign))
        # risk
        reviews = t["shop_reviews"][t["shop_reviews"].dt == day]
        out.ratio(day, "review_participation_rate", len(reviews), len(po))
        out.ratio(day, "negative_review_rate", (reviews.rating <= 2).sum(), len(reviews))
        out.ratio(day, "complaint_rate", (t["shop_complaints"].dt == day).sum(), len(po))
        out.ratio(day, "refund_rate", (t["shop_refunds"].dt == day).sum(), len(po))

    # market
    def market(day: str) -> pd.DataFrame | None:
        m = t["shop_market"][t["shop_market"].dt == day]
        o = orders[(orders.dt == day) & orders.paid]
        visitors = ev[ev.dt == day].visitor_id.nunique()
        if m.empty or not visitors:
            return None
        sites = m.groupby("site").agg(sales=("sales_amount", "sum"), visitors=("visitors", "sum"))
        sites.loc["shop"] = [o.amount.fillna(0).sum(), visitors]
        return sites

    for day in days:
        sites = market(day)
        if sites is None:
            continue
        share = sites.sales["shop"] / sites.sales.sum()
        out.put(day, "market_share", share)
        out.ratio(day, "user_share", sites.visitors["shop"], sites.visitors.sum())
        before = market(_shift(day, 1))
        if before is not None:
            old = before.sales["shop"] / before.sales.sum()
            out.ratio(day, "market_expansion_rate", share - old, old)
        for site, rank in sites.sales.round(2).rank(method="min", ascending=False).items():
            out.put(day, "transaction_volume_rank", rank, "site", site)
        for site, rank in sites.visitors.rank(method="min", ascending=False).items():
            out.put(day, "traffic_rank", rank, "site", site)
    return out


MONEY = {"total_amount", "discount_amount", "unit_price", "amount", "price", "cost", "sales_amount", "budget"}
