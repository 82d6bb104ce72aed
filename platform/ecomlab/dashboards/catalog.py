"""Labels and definitions of indicators, from the indicator catalog.

The catalog (a list of entries {id, name, category, definition, formula, grain, unit,
sources}) belongs to `ecomlab.indicators`; the dashboards only read it. A path to a YAML
file or a list of entries can be given instead (tests, or a catalog of one's own).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

CATEGORIES = ("overall", "traffic", "conversion", "members", "commodity", "campaigns", "risk", "market")


class CatalogError(ValueError):
    """A catalog the dashboards cannot use, naming the entry and the field."""


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    category: str
    definition: str = ""
    formula: str = ""
    unit: str = ""
    grain: tuple[str, ...] = field(default_factory=tuple)


def _field(entry: Any, name: str, default: Any = None) -> Any:
    if isinstance(entry, dict):
        return entry.get(name, default)
    return getattr(entry, name, default)


def _label(entry: Any, where: str) -> Label:
    ident, name, category = (_field(entry, key) for key in ("id", "name", "category"))
    for key, value in (("id", ident), ("name", name), ("category", category)):
        if not value or not isinstance(value, str):
            raise CatalogError(f"{where}: field {key!r} is missing or not text")
    grain = _field(entry, "grain") or ()
    return Label(
        id=ident,
        name=name,
        category=category,
        definition=str(_field(entry, "definition") or ""),
        formula=str(_field(entry, "formula") or ""),
        unit=str(_field(entry, "unit") or ""),
        grain=tuple(str(g) for g in grain),
    )


def load_labels(source: str | Path | Iterable[Any] | None = None) -> list[Label]:
    """Labels from `source` (a YAML path, or catalog entries), or from the platform's catalog.

    Without a source and without the indicator package, there are no labels: the boards then
    show their empty states rather than fail.
    """
    if source is None:
        try:
            from ecomlab.indicators.catalog import load_catalog
        except ImportError:
            log.warning("the indicator catalog (ecomlab.indicators) is not installed; indicator boards are empty")
            return []
        entries, where = load_catalog(), "indicator catalog"
    elif isinstance(source, str | Path):
        path = Path(source)
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CatalogError(f"indicator catalog {path} does not exist") from None
        if not isinstance(entries, list):
            raise CatalogError(f"{path}: expected a list of indicator entries, got {type(entries).__name__}")
        where = str(path)
    else:
        entries, where = list(source), "indicator catalog"
    labels = [_label(entry, f"{where} entry {i + 1}") for i, entry in enumerate(entries)]
    seen: set[str] = set()
    for label in labels:
        if label.id in seen:
            raise CatalogError(f"{where}: indicator id {label.id!r} appears twice")
        seen.add(label.id)
    return labels
