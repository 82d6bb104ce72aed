"""The crawl's record schema (shared by both crawlers) and the raw entities it lands as.

Every record is a flat JSON object with a `kind`: product, price, review or
competitor_price. Values are kept as found on the page (strings or numbers); cleaning
types and checks them in DWD. A page of a site crawled in the `competitor` role yields
competitor_price records instead of price records.
"""

from __future__ import annotations

from ecomlab.sources.base import RawEntity

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "product": ("site", "item_id", "title", "category", "stock", "rating", "promotion", "url", "crawler", "crawled_at"),
    "price": ("site", "item_id", "price", "currency", "crawler", "crawled_at"),
    "review": ("site", "item_id", "review_id", "rating", "author", "review_text", "created", "crawler", "crawled_at"),
    "competitor_price": ("site", "item_id", "price", "currency", "crawler", "crawled_at"),
}
# One record per key and crawl: a page fetched twice (a retry, a resumed chunk) adds nothing.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "product": ("site", "item_id"),
    "price": ("site", "item_id"),
    "review": ("site", "item_id", "review_id"),
    "competitor_price": ("site", "item_id"),
}
KIND_ENTITY_NAMES = {
    "product": "products",
    "price": "prices",
    "review": "reviews",
    "competitor_price": "competitor_prices",
}
ENTITIES = {
    kind: RawEntity(
        source="crawl",
        name=KIND_ENTITY_NAMES[kind],
        columns=fields,
        format="jsonl",
        header=False,
        description=f"Crawled {KIND_ENTITY_NAMES[kind].replace('_', ' ')} (JSON lines).",
    )
    for kind, fields in KIND_FIELDS.items()
}
ALL = tuple(ENTITIES.values())


class RecordError(ValueError):
    """A record does not fit the schema."""


def checked(record: dict) -> dict:
    """The record with exactly its kind's fields (missing ones as None); RecordError names what is wrong."""
    kind = record.get("kind")
    if kind not in KIND_FIELDS:
        raise RecordError(f"record kind {kind!r} is not one of {', '.join(KIND_FIELDS)}: {record}")
    extra = set(record) - set(KIND_FIELDS[kind]) - {"kind"}
    if extra:
        raise RecordError(f"{kind} record has unknown fields {sorted(extra)}")
    return {"kind": kind, **{name: record.get(name) for name in KIND_FIELDS[kind]}}


def record_key(record: dict) -> tuple:
    return (record["kind"], *(str(record.get(k)) for k in KIND_KEYS[record["kind"]]))
