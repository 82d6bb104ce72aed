"""The DWS layer: daily summaries per subject, built once per run and shared by the indicators.

Each data set has an adapter that turns its DWD tables into summaries of the same shape
(a `day` column, 'YYYY-MM-DD', and per-subject measures): one pass over the day's
partitions per subject, cached, then read by many indicators. An indicator is computed for
a data set when every summary it reads exists for it.

Summaries:
- dws_events: the one pass over the events that the next five read, one grouping set each
- dws_session: one row per visit (session) of the day
- dws_visitor_day: one row per visitor and day, with funnel flags and first day seen
- dws_vfirst: each visitor's first day (history up to the last day)
- dws_page: page views, exits and dwell per page type and day
- dws_hour: events per hour and day
- dws_order: one row per order placed on the day, with its lines' quantity, revenue, cost
- dws_payment: payments of the day with their order's customer and units
- dws_customer_day: one row per customer and purchase day (365 days of history), first purchase day
- dws_item: views, cart adds, units sold, revenue, cost and stock per item and day
- dws_campaign_day: visits, visitors, new visitors, registrations, orders, paid amount, cost per campaign and day
- dws_feedback: reviews, negative reviews, complaints, refunds per day
- dws_market: sales and visitors per site and day (ours is 'shop')
- dws_restock: restocks received per day with their lead time
- dws_crawl_match: per crawl day and item, our crawled price and the competitors' (items on both)
- dws_crawl_product: per crawl day, site and item, rating, stock and reviews seen
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ecomlab.sources.importers import CDNOW_SAMPLE_PURCHASES, cdnow_purchase_table

HISTORY_DAYS = 365


@dataclass(frozen=True)
class Window:
    """The requested days, the span the summaries cover (each day and the day before) and history."""

    days: tuple[str, ...]

    @property
    def span(self) -> tuple[str, ...]:
        before = {(date.fromisoformat(d) - timedelta(days=1)).isoformat() for d in self.days}
        return tuple(sorted(set(self.days) | before))

    @property
    def last(self) -> str:
        return max(self.days)

    @property
    def history_start(self) -> str:
        return (date.fromisoformat(min(self.days)) - timedelta(days=HISTORY_DAYS)).isoformat()

    def calendar(self) -> pd.DataFrame:
        """Every day from history start to the last day: index (days since 1970), month, month start."""
        first, last = date.fromisoformat(self.history_start), date.fromisoformat(self.last)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return pd.DataFrame(
            {
                "day": [d.isoformat() for d in days],
                "day_index": [(d - date(1970, 1, 1)).days for d in days],
                "month": [d.isoformat()[:7] for d in days],
                "prev_day": [(d - timedelta(days=1)).isoformat() for d in days],
            }
        )


def sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Adapter:
    """A data set's DWD tables -> DWS summaries."""

    dataset: str
    tables: tuple[str, ...]
    snapshots: tuple[str, ...] = ()
    # Facts that may rightly have no row on a day (no refund, no campaign running): present
    # whenever the data set's main table has the day.
    sparse: tuple[str, ...] = ()
    main: str = ""

    def __init__(self, engine) -> None:
        self.engine = engine

    def t(self, name: str) -> str:
        return self.engine.table(name)

    def has_table(self, name: str) -> bool:
        return self.engine.has_table(name)

    def views(self, w: Window) -> list[tuple[str, str]]:
        raise NotImplementedError

    def available_days(self, w: Window) -> dict[str, set[str]]:
        """Which DWD table ('dwd.<name>') has rows for which day of the span."""
        found: dict[str, set[str]] = {}
        for source, day in self.engine.frame(self.day_availability(w)).itertuples(index=False):
            found.setdefault(source, set()).add(day)
        return found

    def day_availability(self, w: Window) -> str:
        """SQL of (source, day) pairs: which DWD table has rows for which day of the span."""
        raise NotImplementedError


class PartitionedAdapter(Adapter):
    """A data set whose DWD tables are partitioned by the day (`dt`) their rows belong to.

    The days present are read from the partitions, not from a scan of the rows (a scan of the
    event table cost as much as a summary): the cleaning stage drops a day's partition when
    none of its rows passed, so a partition is present exactly when the day has rows.
    """

    def available_days(self, w: Window) -> dict[str, set[str]]:
        span = set(w.span)
        found = {}
        for table in self.tables:
            if table in self.sparse or not self.has_table(table):
                continue
            days = self.engine.partition_days(table)
            # A snapshot describes every day of its window: present when it has rows at all.
            found[f"dwd.{table}"] = set(span) if table in self.snapshots and days else days & span
        return found


class ShopAdapter(PartitionedAdapter):
    dataset = "shop"
    tables = (
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
    snapshots = ("shop_items", "shop_users")
    sparse = ("shop_ad_spend", "shop_refunds", "shop_reviews", "shop_complaints", "shop_restocks")
    main = "shop_events"

    def views(self, w: Window) -> list[tuple[str, str]]:
        span, last, hist = sql_list(w.span), w.last, w.history_start
        t = self.t
        # The earliest day as a date, not a string: a hash aggregate rather than a sort (see session).
        first_day = "CAST(min(CAST(dt AS DATE)) AS STRING)"
        latest = "WHERE dt = (SELECT max(dt) FROM {0})"
        items = (
            "SELECT item_id, category_id, brand_id, CAST(price AS DOUBLE) AS price, CAST(cost AS DOUBLE) AS cost "
            f"FROM {t('shop_items')} {latest.format(t('shop_items'))}"
        )
        users = (
            "SELECT user_id, CAST(CAST(registered_at AS DATE) AS STRING) AS reg_day "
            f"FROM {t('shop_users')} {latest.format(t('shop_users'))}"
        )
        # One pass over the events for every summary that reads them (a scan of the event table
        # cost as much as a summary): each grouping set is one summary's grain; rows outside
        # the span have NULL span keys, so they only reach the first days seen.
        in_span = f"e.dt IN ({span})"
        events = f"""
            SELECT CASE WHEN grouping(session_id) = 0 THEN 'session' WHEN grouping(page_type) = 0 THEN 'page'
                WHEN grouping(hour) = 0 THEN 'hour' WHEN grouping(item_id) = 0 THEN 'item' ELSE 'visitor' END AS part,
              day, session_id, session_visitor_id, channel, page_type, hour, item_id, visitor_id,
              min(user_id) AS user_id, min(campaign_id) AS campaign_id, count(*) AS events,
              sum(is_view) AS page_views, sum(is_cart) AS cart_adds,
              sum(CASE WHEN is_view = 1 THEN is_exit END) AS exits,
              sum(CASE WHEN is_view = 1 THEN coalesce(dwell_seconds, 0) END) AS dwell_seconds,
              sum(CASE WHEN is_view = 1 THEN CASE WHEN dwell_seconds IS NOT NULL THEN 1 ELSE 0 END END) AS dwell_pages,
              CAST(min(event_day) AS STRING) AS first_day
            FROM (
              SELECT e.visitor_id, e.user_id, e.campaign_id, e.page_type, e.is_exit, e.dwell_seconds,
                CAST(e.dt AS DATE) AS event_day,
                CASE WHEN e.event_type = 'page_view' THEN 1 ELSE 0 END AS is_view,
                CASE WHEN e.event_type = 'cart_add' THEN 1 ELSE 0 END AS is_cart,
                CASE WHEN {in_span} THEN e.dt END AS day,
                CASE WHEN {in_span} THEN e.session_id END AS session_id,
                CASE WHEN {in_span} THEN e.visitor_id END AS session_visitor_id,
                CASE WHEN {in_span} THEN e.channel END AS channel,
                CASE WHEN {in_span} THEN hour(e.event_time) END AS hour,
                CASE WHEN {in_span} THEN e.item_id END AS item_id
              FROM {t("shop_events")} e WHERE e.dt <= '{last}'
            ) e
            GROUP BY GROUPING SETS ((day, session_id, session_visitor_id, channel), (day, page_type), (day, hour),
              (day, item_id), (visitor_id))"""
        # A session has one visitor and channel: grouping with them as keys lets Spark hash
        # (it sorts for min() of a string). The outer step merges the rare session seen with
        # two visitors or channels into one, as min() over its events would.
        session = """
            SELECT s.*, f.first_day, u.reg_day FROM (
              SELECT day, session_id, min(session_visitor_id) AS visitor_id, min(user_id) AS user_id,
                min(channel) AS channel, min(campaign_id) AS campaign_id,
                sum(page_views) AS page_views, sum(cart_adds) AS cart_adds
              FROM dws_events WHERE part = 'session' AND day IS NOT NULL GROUP BY day, session_id
            ) s
            LEFT JOIN dws_vfirst f ON f.visitor_id = s.visitor_id
            LEFT JOIN dws_users u ON u.user_id = s.user_id"""
        order = f"""
            SELECT o.dt AS day, o.order_id, o.user_id, o.session_id, o.channel, o.campaign_id, o.status,
              CAST(o.total_amount AS DOUBLE) AS amount, CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END AS is_paid,
              coalesce(l.qty, 0) AS qty, coalesce(l.line_amount, 0) AS line_amount,
              coalesce(l.cost_amount, 0) AS cost_amount
            FROM {t("shop_orders")} o
            LEFT JOIN (
              SELECT oi.order_id, sum(oi.quantity) AS qty,
                sum(oi.quantity * CAST(oi.unit_price AS DOUBLE)) AS line_amount,
                sum(oi.quantity * i.cost) AS cost_amount
              FROM {t("shop_order_items")} oi LEFT JOIN dws_items i ON i.item_id = oi.item_id
              WHERE oi.dt IN ({span}) GROUP BY oi.order_id
            ) l ON l.order_id = o.order_id
            WHERE o.dt IN ({span})"""
        visitor_day = """
            SELECT s.day, s.visitor_id, min(s.user_id) AS user_id, s.first_day,
              count(*) AS sessions, sum(s.page_views) AS page_views, sum(s.cart_adds) AS cart_adds,
              CASE WHEN sum(s.page_views) > 0 THEN 1 ELSE 0 END AS viewed,
              CASE WHEN sum(s.cart_adds) > 0 THEN 1 ELSE 0 END AS carted,
              max(CASE WHEN o.order_id IS NOT NULL THEN 1 ELSE 0 END) AS ordered,
              max(coalesce(o.is_paid, 0)) AS paid
            FROM dws_session s LEFT JOIN dws_order o ON o.session_id = s.session_id AND o.day = s.day
            GROUP BY s.day, s.visitor_id, s.first_day"""
        page = """
            SELECT day, page_type, page_views AS views, exits, dwell_seconds, dwell_pages
            FROM dws_events WHERE part = 'page' AND day IS NOT NULL AND page_views > 0"""
        hour = """
            SELECT day, hour, events FROM dws_events WHERE part = 'hour' AND day IS NOT NULL"""
        payment = f"""
            SELECT p.dt AS day, p.payment_id, p.order_id, o.user_id, CAST(p.amount AS DOUBLE) AS amount, o.qty
            FROM {t("shop_payments")} p LEFT JOIN dws_order o ON o.order_id = p.order_id
            WHERE p.dt IN ({span})"""
        customer = f"""
            SELECT c.day, c.customer_id, c.orders, c.amount, k.day_index, k.month, f.first_day FROM (
              SELECT dt AS day, user_id AS customer_id, count(*) AS orders, sum(CAST(total_amount AS DOUBLE)) AS amount
              FROM {t("shop_orders")} WHERE status = 'paid' AND dt >= '{hist}' AND dt <= '{last}'
              GROUP BY dt, user_id
            ) c
            JOIN cal k ON k.day = c.day
            JOIN (
              SELECT user_id AS customer_id, {first_day} AS first_day FROM {t("shop_orders")}
              WHERE status = 'paid' AND dt <= '{last}' GROUP BY user_id
            ) f ON f.customer_id = c.customer_id"""
        item = f"""
            SELECT a.day, a.item_id, i.category_id, i.brand_id, i.cost, sum(a.views) AS views, sum(a.carts) AS carts,
              sum(a.qty) AS qty, sum(a.revenue) AS revenue, sum(a.qty * i.cost) AS cogs,
              sum(a.stock) AS stock, sum(a.in_inventory) AS in_inventory
            FROM (
              SELECT day, item_id, page_views AS views, cart_adds AS carts,
                0 AS qty, CAST(0 AS DOUBLE) AS revenue, 0 AS stock, 0 AS in_inventory
              FROM dws_events WHERE part = 'item' AND day IS NOT NULL AND item_id IS NOT NULL
              UNION ALL
              SELECT oi.dt, oi.item_id, 0, 0, oi.quantity, oi.quantity * CAST(oi.unit_price AS DOUBLE), 0, 0
              FROM {t("shop_order_items")} oi
              JOIN {t("shop_orders")} o ON o.order_id = oi.order_id AND o.dt = oi.dt AND o.status = 'paid'
              WHERE oi.dt IN ({span}) AND o.dt IN ({span})
              UNION ALL
              SELECT dt, item_id, 0, 0, 0, CAST(0 AS DOUBLE), stock_on_hand, 1
              FROM {t("shop_inventory")} WHERE dt IN ({span})
            ) a LEFT JOIN dws_items i ON i.item_id = a.item_id
            GROUP BY a.day, a.item_id, i.category_id, i.brand_id, i.cost"""
        campaign = f"""
            SELECT coalesce(v.day, a.day) AS day, coalesce(v.campaign_id, a.campaign_id) AS campaign_id,
              coalesce(v.channel, a.channel) AS channel, coalesce(v.visits, 0) AS visits,
              coalesce(v.visitors, 0) AS visitors, coalesce(v.new_visitors, 0) AS new_visitors,
              coalesce(v.new_registrations, 0) AS new_registrations, coalesce(v.orders, 0) AS orders,
              coalesce(v.paid_amount, 0) AS paid_amount, coalesce(a.cost, 0) AS cost
            FROM (
              SELECT s.day, s.campaign_id, min(s.channel) AS channel, count(*) AS visits,
                count(DISTINCT s.visitor_id) AS visitors,
                count(DISTINCT CASE WHEN s.first_day = s.day THEN s.visitor_id END) AS new_visitors,
                count(DISTINCT CASE WHEN s.reg_day = s.day THEN s.user_id END) AS new_registrations,
                sum(CASE WHEN o.order_id IS NOT NULL THEN 1 ELSE 0 END) AS orders,
                sum(CASE WHEN o.is_paid = 1 THEN o.amount ELSE 0 END) AS paid_amount
              FROM dws_session s LEFT JOIN dws_order o ON o.session_id = s.session_id AND o.day = s.day
              WHERE s.campaign_id IS NOT NULL GROUP BY s.day, s.campaign_id
            ) v
            FULL OUTER JOIN (
              SELECT dt AS day, campaign_id, min(channel) AS channel, sum(CAST(cost AS DOUBLE)) AS cost
              FROM {t("shop_ad_spend")} WHERE dt IN ({span}) GROUP BY dt, campaign_id
            ) a ON a.day = v.day AND a.campaign_id = v.campaign_id"""
        feedback = f"""
            SELECT day, sum(reviews) AS reviews, sum(negative) AS negative_reviews, sum(complaints) AS complaints,
              sum(refunds) AS refunds
            FROM (
              SELECT dt AS day, 1 AS reviews, CASE WHEN rating <= 2 THEN 1 ELSE 0 END AS negative,
                0 AS complaints, 0 AS refunds FROM {t("shop_reviews")} WHERE dt IN ({span})
              UNION ALL SELECT dt, 0, 0, 1, 0 FROM {t("shop_complaints")} WHERE dt IN ({span})
              UNION ALL SELECT dt, 0, 0, 0, 1 FROM {t("shop_refunds")} WHERE dt IN ({span})
            ) f GROUP BY day"""
        market = f"""
            SELECT dt AS day, site, sum(CAST(sales_amount AS DOUBLE)) AS sales, sum(visitors) AS visitors
            FROM {t("shop_market")} WHERE dt IN ({span}) GROUP BY dt, site
            UNION ALL
            SELECT s.day, 'shop', s.sales, v.visitors FROM
              (SELECT day, sum(CASE WHEN is_paid = 1 THEN line_amount ELSE 0 END) AS sales
               FROM dws_order GROUP BY day) s
              JOIN (SELECT day, count(*) AS visitors FROM dws_visitor_day GROUP BY day) v ON v.day = s.day"""
        lead = f"{self.engine.epoch('received_at')} - {self.engine.epoch('ordered_at')}"
        restock = f"""
            SELECT dt AS day, restock_id, ({lead}) / CAST(86400 AS DOUBLE) AS lead_days
            FROM {t("shop_restocks")} WHERE dt IN ({span}) AND ordered_at IS NOT NULL"""
        vfirst = "SELECT visitor_id, first_day FROM dws_events WHERE part = 'visitor'"
        return [
            ("dws_items", items),
            ("dws_users", users),
            ("dws_events", events),
            ("dws_vfirst", vfirst),
            ("dws_session", session),
            ("dws_order", order),
            ("dws_visitor_day", visitor_day),
            ("dws_page", page),
            ("dws_hour", hour),
            ("dws_payment", payment),
            ("dws_customer_day", customer),
            ("dws_item", item),
            ("dws_campaign_day", campaign),
            ("dws_feedback", feedback),
            ("dws_market", market),
            ("dws_restock", restock),
        ]


class TaobaoAdapter(Adapter):
    """Taobao UserBehavior: a visitor is a user; their day is China's (UTC+8, no daylight saving)."""

    dataset = "taobao"
    tables = ("taobao_user_behavior",)
    main = "taobao_user_behavior"

    def _events(self) -> str:
        local = "(`timestamp` + INTERVAL 8 HOUR)" if self.engine.name == "spark" else '("timestamp" + INTERVAL 8 HOUR)'
        return (
            f"(SELECT user_id, item_id, behavior_type, CAST(CAST({local} AS DATE) AS STRING) AS day, "
            f"hour({local}) AS hour FROM {self.t('taobao_user_behavior')})"
        )

    def day_availability(self, w: Window) -> str:
        return (
            f"SELECT DISTINCT 'dwd.taobao_user_behavior' AS source, day FROM {self._events()} b "
            f"WHERE day IN ({sql_list(w.span)})"
        )

    def views(self, w: Window) -> list[tuple[str, str]]:
        span, last = sql_list(w.span), w.last
        events = self._events()
        vfirst = (
            f"SELECT CAST(user_id AS STRING) AS visitor_id, min(day) AS first_day FROM {events} b "
            f"WHERE day <= '{last}' GROUP BY user_id"
        )
        visitor_day = f"""
            SELECT b.day, CAST(b.user_id AS STRING) AS visitor_id, b.user_id, min(f.first_day) AS first_day,
              sum(CASE WHEN behavior_type = 'pv' THEN 1 ELSE 0 END) AS page_views,
              sum(CASE WHEN behavior_type = 'cart' THEN 1 ELSE 0 END) AS cart_adds,
              max(CASE WHEN behavior_type = 'pv' THEN 1 ELSE 0 END) AS viewed,
              max(CASE WHEN behavior_type = 'cart' THEN 1 ELSE 0 END) AS carted,
              max(CASE WHEN behavior_type = 'buy' THEN 1 ELSE 0 END) AS ordered,
              max(CASE WHEN behavior_type = 'buy' THEN 1 ELSE 0 END) AS paid
            FROM {events} b LEFT JOIN dws_vfirst f ON f.visitor_id = CAST(b.user_id AS STRING)
            WHERE b.day IN ({span}) GROUP BY b.day, b.user_id"""
        hour = f"""
            SELECT day, hour, count(*) AS events
            FROM {events} b WHERE day IN ({span}) GROUP BY day, hour"""
        return [("dws_vfirst", vfirst), ("dws_visitor_day", visitor_day), ("dws_hour", hour)]


CDNOW_SAMPLE = CDNOW_SAMPLE_PURCHASES.ods_table


class CdnowAdapter(Adapter):
    """CDNOW purchases: a customer's purchase day is the record's date.

    The master file's table when it was imported, else the 1/10 sample's, whose customers
    are named by their master id (so both give the same customer ids).
    """

    dataset = "cdnow"
    tables = ("cdnow_purchases",)
    main = "cdnow_purchases"

    def _sample_only(self) -> bool:
        return cdnow_purchase_table(self.engine.has_table) == CDNOW_SAMPLE

    def has_table(self, name: str) -> bool:
        return super().has_table(name) or (name == "cdnow_purchases" and self._sample_only())

    def t(self, name: str) -> str:
        if name == "cdnow_purchases" and self._sample_only():
            return (
                "(SELECT master_id AS customer_id, date, number_of_cds, dollar_value "
                f"FROM {self.engine.table(CDNOW_SAMPLE)}) cdnow_sample"
            )
        return super().t(name)

    def day_availability(self, w: Window) -> str:
        return (
            f"SELECT DISTINCT 'dwd.cdnow_purchases' AS source, CAST(date AS STRING) AS day "
            f"FROM {self.t('cdnow_purchases')} WHERE CAST(date AS STRING) IN ({sql_list(w.span)})"
        )

    def views(self, w: Window) -> list[tuple[str, str]]:
        last, hist = w.last, w.history_start
        customer = f"""
            SELECT c.day, c.customer_id, c.orders, c.amount, k.day_index, k.month, f.first_day FROM (
              SELECT CAST(date AS STRING) AS day, customer_id, count(*) AS orders,
                sum(CAST(dollar_value AS DOUBLE)) AS amount
              FROM {self.t("cdnow_purchases")}
              WHERE CAST(date AS STRING) >= '{hist}' AND CAST(date AS STRING) <= '{last}'
              GROUP BY CAST(date AS STRING), customer_id
            ) c
            JOIN cal k ON k.day = c.day
            JOIN (
              SELECT customer_id, min(CAST(date AS STRING)) AS first_day FROM {self.t("cdnow_purchases")}
              WHERE CAST(date AS STRING) <= '{last}' GROUP BY customer_id
            ) f ON f.customer_id = c.customer_id"""
        return [("dws_customer_day", customer)]


class CrawlAdapter(PartitionedAdapter):
    """Crawled product pages: our shop's prices (crawl_prices) and the competitors' (crawl_competitor_prices).

    A page crawled by both crawlers, or twice, counts once: prices and ratings are averaged,
    stock is the lowest seen, per day, site and item.
    """

    dataset = "crawl"
    tables = ("crawl_products", "crawl_prices", "crawl_reviews", "crawl_competitor_prices")
    sparse = ("crawl_reviews",)
    main = "crawl_products"

    def views(self, w: Window) -> list[tuple[str, str]]:
        span, t = sql_list(w.span), self.t
        match = f"""
            SELECT o.day, o.item_id, o.price AS own_price, c.price AS competitor_price FROM
              (SELECT dt AS day, item_id, avg(CAST(price AS DOUBLE)) AS price FROM {t("crawl_prices")}
               WHERE dt IN ({span}) GROUP BY dt, item_id) o
            JOIN
              (SELECT dt AS day, item_id, avg(CAST(price AS DOUBLE)) AS price FROM {t("crawl_competitor_prices")}
               WHERE dt IN ({span}) GROUP BY dt, item_id) c
            ON c.day = o.day AND c.item_id = o.item_id
            WHERE c.price > 0"""
        product = f"""
            SELECT p.day, p.site, p.item_id, p.rating, p.stock, coalesce(r.reviews, 0) AS reviews FROM
              (SELECT dt AS day, site, item_id, avg(CAST(rating AS DOUBLE)) AS rating, min(stock) AS stock
               FROM {t("crawl_products")} WHERE dt IN ({span}) GROUP BY dt, site, item_id) p
            LEFT JOIN
              (SELECT dt AS day, site, item_id, count(DISTINCT review_id) AS reviews FROM {t("crawl_reviews")}
               WHERE dt IN ({span}) GROUP BY dt, site, item_id) r
            ON r.day = p.day AND r.site = p.site AND r.item_id = p.item_id"""
        return [("dws_crawl_match", match), ("dws_crawl_product", product)]


ADAPTERS = {a.dataset: a for a in (ShopAdapter, TaobaoAdapter, CdnowAdapter, CrawlAdapter)}
