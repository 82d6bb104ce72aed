"""Structured records from the shop's HTML (selectolax): listings give links, product pages give records.

Parsing is lenient: broken markup is read as a browser would. A product page without a
product id or a price is reported as an extraction failure, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser


class ExtractionError(Exception):
    """The page is not what the extractor expects; the message says what is missing."""


@dataclass
class Extracted:
    links: list[str] = field(default_factory=list)  # listing pages to follow
    items: list[str] = field(default_factory=list)  # product pages found
    records: list[dict] = field(default_factory=list)


def _attr(node, name: str) -> str | None:
    if node is None:
        return None
    value = node.attributes.get(name)
    return value if value not in (None, "") else None


def _same_site(base: str, href: str | None) -> str | None:
    if not href:
        return None
    target = urljoin(base, href)
    return target.split("#", 1)[0] if urlsplit(target).netloc == urlsplit(base).netloc else None


def extract_listing(url: str, html: str) -> Extracted:
    """Links from a home or category page: categories and next pages to follow, product pages to fetch."""
    tree = LexborHTMLParser(html)
    out = Extracted()
    for node in tree.css("a.category, nav.pagination a[rel=next]"):
        if (target := _same_site(url, _attr(node, "href"))) is not None:
            out.links.append(target)
    for node in tree.css("a.item-link"):
        if (target := _same_site(url, _attr(node, "href"))) is not None:
            out.items.append(target)
    return out


def extract_product(url: str, html: str, site: str, role: str, crawled_at: str, crawler: str = "static") -> list[dict]:
    """Records of one product page: product, price (or competitor_price), reviews."""
    tree = LexborHTMLParser(html)
    product = tree.css_first("article.product")
    item_id = _attr(product, "data-item-id")
    if item_id is None:
        raise ExtractionError(f"{url}: no article.product[data-item-id] on the page")
    price = _attr(tree.css_first(".price"), "data-price")
    if price is None:
        raise ExtractionError(f"{url}: no .price[data-price] for item {item_id}")
    title = tree.css_first(".title")
    category = tree.css_first("a.category")
    promotion = tree.css_first(".promotion")
    base = {"site": site, "item_id": item_id, "crawler": crawler, "crawled_at": crawled_at}
    records = [
        {
            "kind": "product",
            **base,
            "title": title.text(strip=True) if title is not None else None,
            "category": category.text(strip=True) if category is not None else None,
            "stock": _attr(tree.css_first(".stock"), "data-stock"),
            "rating": _attr(tree.css_first(".rating"), "data-rating"),
            "promotion": promotion.text(strip=True) if promotion is not None else None,
            "url": url,
        },
        {"kind": "competitor_price" if role == "competitor" else "price", **base, "price": price, "currency": "CNY"},
    ]
    for review in tree.css("li.review"):
        records.append(
            {
                "kind": "review",
                **base,
                "review_id": _attr(review, "data-review-id"),
                "rating": _attr(review, "data-rating"),
                "author": _attr(review, "data-author"),
                "review_text": review.text(strip=True),
                "created": _attr(review, "data-created"),
            }
        )
    return records
