"""Load and check the indicator catalog (catalog.yaml), the one list of every indicator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
CATEGORIES = ("overall", "traffic", "conversion", "members", "commodity", "campaigns", "risk", "market")
DIMENSIONS = (
    "day",
    "channel",
    "category",
    "campaign",
    "segment",
    "site",
    "page",
    "stage",
    "hour",
    "cohort_day",
    "item",
    "brand",
)
DATASETS = ("shop", "taobao", "cdnow", "crawl")
_FIELDS = ("id", "name", "category", "definition", "formula", "grain", "unit", "sources", "datasets")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogError(ValueError):
    """The catalog file is wrong: names the entry and the field."""


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    category: str
    definition: str
    formula: str
    grain: tuple[str, ...]
    unit: str
    sources: tuple[str, ...]
    datasets: tuple[str, ...]

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The breakdowns besides the day's total."""
        return tuple(g for g in self.grain if g != "day")


def _entry(raw: object, position: int, where: Path) -> Indicator:
    label = f"{where.name} entry {position}"
    if not isinstance(raw, dict):
        raise CatalogError(f"{label}: expected a mapping of {', '.join(_FIELDS)}")
    label = f"{where.name} entry {position} ({raw.get('id', '?')})"
    missing = [f for f in _FIELDS if f not in raw or raw[f] in (None, "", [])]
    if missing:
        raise CatalogError(f"{label}: missing {', '.join(missing)}")
    unknown = set(raw) - set(_FIELDS)
    if unknown:
        raise CatalogError(f"{label}: unknown field(s) {sorted(unknown)}")
    if not _ID.match(str(raw["id"])):
        raise CatalogError(f"{label}: id must be lower-case letters, digits and _")
    if raw["category"] not in CATEGORIES:
        raise CatalogError(f"{label}: category {raw['category']!r} is not one of {', '.join(CATEGORIES)}")
    for field, allowed in (("grain", DIMENSIONS), ("datasets", DATASETS)):
        if not isinstance(raw[field], list):
            raise CatalogError(f"{label}: {field} must be a list")
        bad = [g for g in raw[field] if g not in allowed]
        if bad:
            raise CatalogError(f"{label}: {field} {bad} not in {', '.join(allowed)}")
    bad_sources = [s for s in raw["sources"] if not str(s).startswith("dwd.")]
    if bad_sources:
        raise CatalogError(f"{label}: sources must be DWD tables (dwd.x), got {bad_sources}")
    return Indicator(
        id=raw["id"],
        name=str(raw["name"]),
        category=raw["category"],
        definition=" ".join(str(raw["definition"]).split()),
        formula=str(raw["formula"]),
        grain=tuple(raw["grain"]),
        unit=str(raw["unit"]),
        sources=tuple(raw["sources"]),
        datasets=tuple(raw["datasets"]),
    )


def load_catalog(path: Path | None = None) -> list[Indicator]:
    """Every indicator of the catalog, in file order; a wrong entry raises CatalogError."""
    path = path or CATALOG_PATH
    return list(_load(path))


@cache
def _load(path: Path) -> tuple[Indicator, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(raw, list):
        raise CatalogError(f"{path.name}: expected a list of indicators")
    indicators = [_entry(item, n + 1, path) for n, item in enumerate(raw)]
    seen: set[str] = set()
    for indicator in indicators:
        if indicator.id in seen:
            raise CatalogError(f"{path.name}: indicator id {indicator.id!r} appears twice")
        seen.add(indicator.id)
    return tuple(indicators)


def catalog_by_id(path: Path | None = None) -> dict[str, Indicator]:
    return {i.id: i for i in load_catalog(path)}
