"""The demo shop's catalog: the simulator's world (same seed -> same items, ids and prices).

A competitor instance sells the same items at its own prices (the simulator's planted
competitor factor per category), so crawled competitor prices can be joined to the shop's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ecomlab.sources.simulator import world as W
from ecomlab.sources.simulator.generator import _brand_name

DEFAULT_SEED = 20261101
DEFAULT_EVENTS = 100_000


@dataclass(frozen=True)
class Review:
    review_id: int
    rating: int
    author: str
    text: str
    created: str


@dataclass(frozen=True)
class Item:
    item_id: int
    title: str
    category_id: int
    category: str
    brand: str
    price: float
    list_price: float
    stock: int
    promotion: str | None
    reviews: tuple[Review, ...] = field(default=())

    @property
    def rating(self) -> float | None:
        if not self.reviews:
            return None
        return round(sum(r.rating for r in self.reviews) / len(self.reviews), 1)


@dataclass(frozen=True)
class Catalog:
    site: str
    categories: dict[int, str]
    items: dict[int, Item]

    def in_category(self, category_id: int) -> list[Item]:
        return [item for item in self.items.values() if item.category_id == category_id]


def build_catalog(
    seed: int = DEFAULT_SEED,
    events: int = DEFAULT_EVENTS,
    max_items: int | None = None,
    competitor: int | None = None,
    day: date = date(2026, 11, 1),
) -> Catalog:
    """The shop's items (the first max_items of the simulated world); competitor = index of a rival site."""
    world = W.build_world(np.random.default_rng([seed, 0]), events, day, 7)
    rng = np.random.default_rng([seed, 7, 0 if competitor is None else competitor + 1])
    n = world.n_items if max_items is None else min(max_items, world.n_items)
    brands = {b: _brand_name(b) for b in set(world.item_brand[:n].tolist())}
    items: dict[int, Item] = {}
    next_review = 1
    for index in range(n):
        item_id = index + 1
        category = int(world.item_category[index])
        list_price = int(world.item_price_cents[index]) / 100
        factor = (
            1.0 if competitor is None else float(world.competitor_factor[competitor % len(W.COMPETITORS), category])
        )
        # Rivals price around the shop: the planted factor, squeezed towards 1 so prices stay plausible.
        price = round(list_price * (1 + (factor - 1) * 0.2), 2)
        promotion = None
        if rng.random() < 0.25:
            off = int(rng.choice([5, 10, 15, 20]))
            promotion = f"{off}% off this week"
        reviews = []
        for _ in range(int(rng.integers(0, 9))):
            good = rng.random() < 0.8
            texts = W.REVIEW_GOOD if good else W.REVIEW_BAD
            reviews.append(
                Review(
                    review_id=next_review,
                    rating=int(rng.integers(4, 6) if good else rng.integers(1, 3)),
                    author=f"user{int(rng.integers(1, 5000))}",
                    text=str(texts[int(rng.integers(0, len(texts)))]),
                    created=(day - timedelta(days=int(rng.integers(0, 365)))).isoformat(),
                )
            )
            next_review += 1
        items[item_id] = Item(
            item_id=item_id,
            title=(
                f"{brands[int(world.item_brand[index])]} {W.ADJECTIVES[int(world.item_adjective[index])]} "
                f"{W.CATEGORY_NAMES[category]} {item_id}"
            ),
            category_id=category + 1,
            category=W.CATEGORY_NAMES[category],
            brand=brands[int(world.item_brand[index])],
            price=price,
            list_price=list_price,
            stock=int(rng.integers(0, 200)),
            promotion=promotion,
            reviews=tuple(reviews),
        )
    used = sorted({item.category_id for item in items.values()})
    site = "demo-shop" if competitor is None else W.COMPETITORS[competitor % len(W.COMPETITORS)]
    return Catalog(site=site, categories={c: W.CATEGORY_NAMES[c - 1] for c in used}, items=items)
