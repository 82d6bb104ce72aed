"""Date range and dimension filters, validated before any query runs.

A filter comes from a query string (served pages) or from the command line (export). Every
problem is reported as a FilterError naming the parameter and what is allowed, which the
server answers with HTTP 400.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

# Dimensions of indicator_daily that a page can be narrowed to.
DIMENSIONS = ("channel", "category", "campaign", "segment", "site", "page", "stage", "hour", "cohort_day")
_DATASET = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_MAX_VALUE = 200


class FilterError(ValueError):
    """A filter that cannot be applied, naming the parameter."""


@dataclass(frozen=True)
class Filters:
    dataset: str | None = None
    start: date | None = None
    end: date | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        """The filters as query parameters (the data set is not one: it is in the page's path)."""
        params = {}
        if self.start:
            params["start"] = self.start.isoformat()
        if self.end:
            params["end"] = self.end.isoformat()
        params.update(self.dimensions)
        return params

    def in_range(self, day: str) -> bool:
        return (self.start is None or day >= self.start.isoformat()) and (
            self.end is None or day <= self.end.isoformat()
        )


def _day(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_filters(params: Iterable[tuple[str, str]], dataset: str | None = None) -> Filters:
    """Check query parameters (pairs, repeated names included) and build the filters."""
    seen: dict[str, str] = {}
    for name, value in params:
        if name in seen:
            raise FilterError(f"{name}: given more than once")
        seen[name] = value
    allowed = {"start", "end", *DIMENSIONS}
    unknown = sorted(set(seen) - allowed)
    if unknown:
        raise FilterError(f"unknown filter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    chosen = dataset
    if chosen is not None and not _DATASET.match(chosen):
        raise FilterError(f"dataset: {chosen!r} is not a data set name (lower-case letters, digits, - and _)")
    start = _day("start", seen.pop("start")) if seen.get("start") else None
    end = _day("end", seen.pop("end")) if seen.get("end") else None
    seen.pop("start", None), seen.pop("end", None)
    if start and end and start > end:
        raise FilterError(f"start {start} is after end {end}")
    dimensions = {}
    for name, value in seen.items():
        if not value:
            continue
        if len(value) > _MAX_VALUE or any(ord(c) < 32 for c in value):
            raise FilterError(f"{name}: value is longer than {_MAX_VALUE} characters or has control characters")
        dimensions[name] = value
    return Filters(chosen, start, end, dimensions)


def check_against(filters: Filters, datasets: Iterable[str], values: Mapping[str, Iterable[str]]) -> None:
    """Refuse a data set or dimension value the mart does not hold, listing what it holds."""
    datasets = sorted(datasets)
    if filters.dataset is not None and filters.dataset not in datasets:
        raise FilterError(f"dataset: {filters.dataset!r} is not in the mart; it holds {', '.join(datasets) or 'none'}")
    for name, value in filters.dimensions.items():
        known = sorted(set(values.get(name, ())))
        if value not in known:
            shown = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
            raise FilterError(f"{name}: {value!r} is not a value of this data set; it has {shown or 'none'}")
