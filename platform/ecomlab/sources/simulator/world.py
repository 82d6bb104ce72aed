"""The simulated shop's world: catalogue, customers, campaigns, competitors, and the
ground truth planted in them (segments, product pairs, seasonality, campaign uplift).

Everything is drawn from one seeded generator, so the same seed gives the same world.
Memory grows with the number of users and items, never with the number of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

DAY = 86_400

DEPARTMENTS = {
    "Electronics": ["Phones", "Laptops", "Headphones", "Cameras"],
    "Home": ["Kitchen", "Bedding", "Furniture", "Lighting"],
    "Fashion": ["Shoes", "Dresses", "Menswear", "Bags"],
    "Beauty": ["Skincare", "Makeup", "Fragrance", "Haircare"],
    "Baby": ["Diapers", "Formula", "Toys", "Strollers"],
}
CATEGORY_NAMES = [c for cats in DEPARTMENTS.values() for c in cats]
CATEGORY_DEPARTMENT = [d for d, cats in DEPARTMENTS.items() for _ in cats]
# Typical price (in currency units) per category, in CATEGORY_NAMES order.
CATEGORY_PRICE = [
    450,
    900,
    80,
    600,
    40,
    60,
    300,
    35,
    70,
    55,
    45,
    90,
    30,
    25,
    60,
    15,
    20,
    30,
    25,
    180,
]
ADJECTIVES = ["Classic", "Smart", "Eco", "Pro", "Mini", "Ultra", "Soft", "Daily", "Premium", "Lite"]
COUNTRIES = ["CN", "US", "DE", "JP", "KR", "FR", "IT", "GB"]

CHANNELS = ["direct", "organic_search", "paid_search", "social", "email", "affiliate", "display"]
CHANNEL_SHARE = np.array([0.22, 0.28, 0.14, 0.14, 0.08, 0.06, 0.08])
REGIONS = ["North", "Northeast", "East", "South", "Central", "Southwest", "Northwest", "Overseas"]
MEMBER_LEVELS = ["basic", "silver", "gold", "platinum"]
DEVICES = ["mobile", "desktop", "app"]
GENDERS = ["F", "M", "U"]
PAY_METHODS = ["alipay", "wechat", "card", "paypal"]
REFUND_REASONS = ["damaged", "not_as_described", "late_delivery", "changed_mind"]
COMPLAINT_TYPES = ["late_delivery", "damaged", "wrong_item", "service", "fraud_suspected"]
COMPETITORS = ["rival-a.example", "rival-b.example", "rival-c.example", "rival-d.example"]

# Planted customer segments: share of users, relative visit rate, purchase probability per
# logged-in session, spend multiplier, the fraction of the window they stay active, and the
# band of the catalogue's price quantiles their baskets are drawn from. The segments are
# kept apart in RFM space: champions buy often and dear, loyal customers often at middle
# prices, bargain hunters often and cheap, customers at risk stop early in the window, and
# newcomers register late in it and buy once or twice.
SEGMENTS = {
    "champions": dict(share=0.10, visits=8.0, conversion=0.6, spend=2.5, active=1.0, price=(0.7, 1.0)),
    "loyal": dict(share=0.22, visits=4.0, conversion=0.5, spend=1.0, active=1.0, price=(0.3, 0.7)),
    "bargain_hunters": dict(share=0.28, visits=4.0, conversion=0.5, spend=0.3, active=1.0, price=(0.0, 0.25)),
    "at_risk": dict(share=0.22, visits=3.0, conversion=0.45, spend=1.0, active=0.2, price=(0.3, 0.7)),
    "newcomers": dict(share=0.18, visits=1.0, conversion=0.35, spend=1.0, active=1.0, price=(0.3, 0.7)),
}
# Share of a logged-in user's product views drawn from the user's favourite category
# (the planted taste that recommendation should learn).
TASTE = 0.75
SEGMENT_NAMES = list(SEGMENTS)

# Seasonality: relative traffic per hour of day (UTC) and per weekday (Mon..Sun).
HOURLY = np.array([2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 8, 10, 11, 10, 7, 4], dtype=float)
WEEKDAY = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25])

REVIEW_GOOD = [
    "great value",
    "works as described",
    "fast delivery",
    "very happy with it",
    "很好 推荐",
    "très bien",
    "would buy again",
]
REVIEW_BAD = ["arrived damaged", "not as described", "poor quality", "too slow to arrive", "不满意"]


@dataclass
class World:
    """Dimensions and planted parameters; arrays are indexed by id - 1."""

    start_ts: int
    days: int
    # items
    item_category: np.ndarray
    item_brand: np.ndarray
    item_price_cents: np.ndarray
    item_cost_cents: np.ndarray
    item_launch_ts: np.ndarray
    item_adjective: np.ndarray
    item_popularity_cdf: np.ndarray
    brand_country: np.ndarray
    # users
    user_segment: np.ndarray
    user_registered_ts: np.ndarray
    user_channel: np.ndarray
    user_region: np.ndarray
    user_level: np.ndarray
    user_gender: np.ndarray
    user_birth_year: np.ndarray
    user_visit_weight: np.ndarray
    user_taste: np.ndarray  # favourite category index
    # campaigns
    campaign_channel: np.ndarray
    campaign_start_day: np.ndarray
    campaign_end_day: np.ndarray
    campaign_budget_cents: np.ndarray
    campaign_discount: np.ndarray
    campaign_uplift: np.ndarray
    # planted product pairs (antecedent item id, consequent item id, add probability)
    pairs: np.ndarray
    pair_probability: float
    competitor_factor: np.ndarray  # (competitors, categories)
    # popularity CDFs: of each segment's price band, and of each category's items
    segment_item_cdf: np.ndarray | None = None
    category_items: list[np.ndarray] | None = None
    category_item_cdf: list[np.ndarray] | None = None

    @property
    def n_items(self) -> int:
        return len(self.item_category)

    @property
    def n_users(self) -> int:
        return len(self.user_segment)

    @property
    def n_brands(self) -> int:
        return len(self.brand_country)

    @property
    def n_campaigns(self) -> int:
        return len(self.campaign_channel)


# Mean clickstream events per session that the session model produces (measured).
EVENTS_PER_SESSION = 6.1
# Sessions per registered user in the window (logged-in sessions are 72% of them).
SESSIONS_PER_USER = 16


def scale(events: int) -> dict[str, int]:
    """Sizes of the world for a target number of clickstream events."""
    sessions = max(round(events / EVENTS_PER_SESSION), 100)
    return {
        "sessions": sessions,
        "users": max(300, sessions // SESSIONS_PER_USER),
        "items": int(np.clip(300 * np.sqrt(events / 10_000), 300, 30_000)),
        "brands": int(np.clip(30 * np.sqrt(events / 10_000), 30, 3_000)),
        "campaigns": 6,
    }


def build_world(rng: np.random.Generator, events: int, start: date, days: int) -> World:
    sizes = scale(events)
    start_ts = int(np.datetime64(start, "s").astype(np.int64))
    n_items, n_users, n_brands = sizes["items"], sizes["users"], sizes["brands"]
    n_cat = len(CATEGORY_NAMES)

    # Items: category, brand, price around the category's typical price, cost below it.
    item_category = rng.integers(0, n_cat, n_items)
    item_brand = rng.integers(1, n_brands + 1, n_items)
    base = np.array(CATEGORY_PRICE, dtype=float)[item_category]
    price = np.round(base * rng.lognormal(0.0, 0.45, n_items), 1) - 0.01
    item_price_cents = np.maximum(np.round(price * 100), 99).astype(np.int64)
    item_cost_cents = np.round(item_price_cents * rng.uniform(0.45, 0.8, n_items)).astype(np.int64)
    item_launch_ts = start_ts - rng.integers(30, 1500, n_items) * DAY
    popularity = rng.zipf(1.6, n_items).clip(1, 5_000).astype(float)
    popularity_cdf = np.cumsum(popularity) / popularity.sum()

    # Users and their planted segments.
    shares = np.array([s["share"] for s in SEGMENTS.values()])
    user_segment = rng.choice(len(SEGMENTS), size=n_users, p=shares)
    newcomer = user_segment == SEGMENT_NAMES.index("newcomers")
    registered = start_ts - rng.integers(1, 900, n_users) * DAY - rng.integers(0, DAY, n_users)
    # Newcomers register in the last part of the window (never on its last day, so they can return).
    first_day = min(int(days * 0.6), max(days - 2, 0))
    registered[newcomer] = (
        start_ts
        + rng.integers(first_day, max(days - 1, first_day + 1), newcomer.sum()) * DAY
        + rng.integers(0, DAY // 2, newcomer.sum())
    )
    visits = np.array([s["visits"] for s in SEGMENTS.values()])[user_segment] * rng.lognormal(0, 0.3, n_users)
    level_by_segment = np.array([3, 2, 0, 1, 0])[user_segment]
    user_level = np.clip(level_by_segment + rng.integers(-1, 2, n_users), 0, 3)

    # Campaigns: each on one paid channel, a few days long, with a planted traffic uplift.
    n_camp = sizes["campaigns"]
    paid = [CHANNELS.index(c) for c in ("paid_search", "social", "email", "affiliate", "display")]
    campaign_channel = np.array([paid[i % len(paid)] for i in range(n_camp)])
    length = rng.integers(1, max(days // 2, 1) + 1, n_camp)
    campaign_start_day = np.array([rng.integers(0, max(days - ln, 0) + 1) for ln in length])
    campaign_end_day = campaign_start_day + length - 1
    campaign_uplift = np.round(rng.uniform(1.2, 1.8, n_camp), 2)
    campaign_budget_cents = rng.integers(2_000, 20_000, n_camp) * 100 * max(1, events // 100_000)
    campaign_discount = np.round(rng.choice([0.05, 0.1, 0.15, 0.2], n_camp), 2)

    # Planted pairs: a popular item pulls a companion from another category into baskets.
    n_pairs = int(np.clip(n_items // 60, 3, 12))
    by_popularity = np.argsort(-popularity, kind="stable")
    antecedents = by_popularity[: n_pairs * 3 : 3] + 1
    # Companions cost about what their antecedent costs, so pairs keep buyers in their price band.
    price_quantile = np.argsort(np.argsort(item_price_cents, kind="stable"), kind="stable") / n_items
    pairs = []
    for a in antecedents:
        near = np.abs(price_quantile - price_quantile[a - 1]) <= 0.1
        candidates = np.flatnonzero((item_category != item_category[a - 1]) & near) + 1
        candidates = candidates[~np.isin(candidates, np.array(pairs).ravel() if pairs else [])]
        candidates = candidates[~np.isin(candidates, antecedents)]
        pairs.append((int(a), int(rng.choice(candidates))))

    stocked = np.flatnonzero(np.bincount(item_category, minlength=n_cat) > 0)
    user_taste = rng.choice(stocked, n_users)
    # Baskets: each segment buys from its band of price quantiles, by popularity within it.
    segment_item_cdf = np.empty((len(SEGMENTS), n_items))
    for i, params in enumerate(SEGMENTS.values()):
        low, high = params["price"]
        weight = popularity * ((price_quantile >= low) & (price_quantile <= high))
        segment_item_cdf[i] = np.cumsum(weight) / weight.sum()
    category_items = [np.flatnonzero(item_category == c) + 1 for c in range(n_cat)]
    # Within the favourite category, taste is flatter than overall popularity: it reaches past the best sellers.
    flat = np.sqrt(popularity)
    category_item_cdf = [np.cumsum(flat[ids - 1]) / flat[ids - 1].sum() for ids in category_items]

    # Per-user arrays use small types: memory grows with users (about 30 bytes each), never with events.
    small = np.int8
    return World(
        start_ts=start_ts,
        days=days,
        item_category=item_category,
        item_brand=item_brand,
        item_price_cents=item_price_cents,
        item_cost_cents=item_cost_cents,
        item_launch_ts=item_launch_ts,
        item_adjective=rng.integers(0, len(ADJECTIVES), n_items),
        item_popularity_cdf=popularity_cdf,
        brand_country=rng.integers(0, len(COUNTRIES), n_brands),
        user_segment=user_segment.astype(small),
        user_registered_ts=registered,
        user_channel=rng.choice(len(CHANNELS), size=n_users, p=CHANNEL_SHARE).astype(small),
        user_region=rng.integers(0, len(REGIONS), n_users).astype(small),
        user_level=user_level.astype(small),
        user_gender=rng.integers(0, len(GENDERS), n_users).astype(small),
        user_birth_year=rng.integers(1955, 2008, n_users).astype(np.int16),
        user_visit_weight=visits.astype(np.float32),
        user_taste=user_taste.astype(small),
        campaign_channel=campaign_channel,
        campaign_start_day=campaign_start_day,
        campaign_end_day=campaign_end_day,
        campaign_budget_cents=campaign_budget_cents,
        campaign_discount=campaign_discount,
        campaign_uplift=campaign_uplift,
        pairs=np.array(pairs, dtype=np.int64),
        pair_probability=0.6,
        competitor_factor=np.round(rng.uniform(0.3, 2.5, (len(COMPETITORS), n_cat)), 2),
        segment_item_cdf=segment_item_cdf,
        category_items=category_items,
        category_item_cdf=category_item_cdf,
    )
