"""The raw files the shop simulator writes: one CSV per entity and day, with a header."""

from __future__ import annotations

from ecomlab.sources.base import RawEntity


def _shop(name: str, columns: str, description: str, snapshot: bool = False) -> RawEntity:
    return RawEntity(
        source="shop",
        name=name,
        columns=tuple(columns.split()),
        format="csv",
        header=True,
        description=description,
        snapshot=snapshot,
    )


CATEGORIES = _shop("categories", "category_id name department", "Product categories.", snapshot=True)
BRANDS = _shop("brands", "brand_id name country", "Brands.", snapshot=True)
ITEMS = _shop(
    "items",
    "item_id title category_id brand_id price cost launch_date status",
    "Items (SKUs) with list price and unit cost.",
    snapshot=True,
)
USERS = _shop(
    "users",
    "user_id registered_at channel region member_level gender birth_year",
    "Registered users (members).",
    snapshot=True,
)
CAMPAIGNS = _shop(
    "campaigns",
    "campaign_id name channel start_date end_date budget discount_rate",
    "Marketing campaigns.",
    snapshot=True,
)
AD_SPEND = _shop(
    "ad_spend",
    "spend_date campaign_id channel impressions clicks cost",
    "Daily advertising spend per campaign and channel.",
)
EVENTS = _shop(
    "events",
    "event_id session_id visitor_id user_id event_time event_type page_type item_id channel campaign_id "
    "referrer device dwell_seconds is_entry is_exit",
    "Clickstream: page views, favourites and cart adds, by session.",
)
ORDERS = _shop(
    "orders",
    "order_id user_id session_id order_time status item_count total_amount discount_amount channel campaign_id region",
    "Orders placed.",
)
ORDER_ITEMS = _shop("order_items", "order_id line_no item_id quantity unit_price", "Order lines.")
PAYMENTS = _shop("payments", "payment_id order_id paid_at amount method", "Payments of orders.")
REFUNDS = _shop("refunds", "refund_id order_id refunded_at amount reason", "Refunds of paid orders.")
REVIEWS = _shop("reviews", "review_id order_id item_id user_id rating review_text created_at", "Product reviews.")
COMPLAINTS = _shop("complaints", "complaint_id order_id user_id complaint_type created_at", "Customer complaints.")
INVENTORY = _shop(
    "inventory", "snapshot_date item_id stock_on_hand reorder_point on_order", "End-of-day stock per item."
)
RESTOCKS = _shop("restocks", "restock_id item_id ordered_at received_at quantity", "Restock deliveries received.")
MARKET = _shop(
    "market",
    "market_date site category_id visitors orders sales_amount",
    "Competing sites' daily visitors and sales per category (market data).",
)

SNAPSHOTS = (CATEGORIES, BRANDS, ITEMS, USERS, CAMPAIGNS)
FACTS = (AD_SPEND, EVENTS, ORDERS, ORDER_ITEMS, PAYMENTS, REFUNDS, REVIEWS, COMPLAINTS, INVENTORY, RESTOCKS, MARKET)
ALL = SNAPSHOTS + FACTS
BY_NAME = {entity.name: entity for entity in ALL}
