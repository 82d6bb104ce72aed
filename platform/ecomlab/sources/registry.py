"""Every raw entity the platform knows, by source."""

from __future__ import annotations

from ecomlab.sources.base import RawEntity


def all_entities() -> dict[str, list[RawEntity]]:
    from ecomlab.collection import records as crawl
    from ecomlab.sources import importers
    from ecomlab.sources.simulator import entities as shop

    return {
        "shop": list(shop.ALL),
        "taobao": [importers.TAOBAO_USER_BEHAVIOR],
        "cdnow": [importers.CDNOW_PURCHASES, importers.CDNOW_SAMPLE_PURCHASES],
        "baskets": [importers.BASKET_TRANSACTIONS],
        "crawl": list(crawl.ALL),
    }


def entities_of(source: str, names: list[str] | None = None) -> list[RawEntity]:
    """The entities of a source (all, or the named ones); KeyError naming what is unknown."""
    known = all_entities()
    if source not in known:
        raise KeyError(f"unknown source {source!r}; known: {', '.join(known)}")
    if not names:
        return known[source]
    by_name = {e.name: e for e in known[source]}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"unknown {source} entities {unknown}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]
