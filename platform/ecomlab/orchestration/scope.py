"""The scope of a stage run: which data set, which days, and the lake paths it works on.

Stages pass scopes to each other (through XCom inside a DAG and through the extra of an
asset event between DAGs): small JSON with paths, never the data itself. A scope's key
names its data interval, so that a repeated run of the same interval writes to the same
places and replaces what the previous one wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ecomlab.storage.lake import Lake

# Lake folder where the orchestration keeps what one stage hands to the next.
RUNS_DIR = "runs/orchestration"


def interval_key(days: list[str]) -> str:
    """The data interval's name: its first and last day (one day: that day)."""
    if not days:
        raise ValueError("a data interval needs at least one day")
    first, last = min(days), max(days)
    return first if first == last else f"{first}_{last}"


@dataclass(frozen=True)
class Scope:
    """What one data set's stages work on for one data interval."""

    # The data set's name in the warehouse and the mart: shop, taobao, cdnow, baskets, crawl.
    dataset: str
    days: list[str]
    # The run that started the chain of stages (a master pipeline run, or the first stage's).
    chain: str
    # ODS tables (without the `ods.` prefix) this interval loaded.
    tables: list[str] = field(default_factory=list)
    # Lake path of the ODS load plan (entity -> days), written when the data was landed.
    plan: str | None = None
    # Simulator truth about injected defects (a local file), to score cleaning.
    truth: str | None = None

    @property
    def key(self) -> str:
        return interval_key(self.days)

    @property
    def last_day(self) -> str:
        return max(self.days)

    @property
    def folder(self) -> str:
        """Lake folder of this data set's interval, shared by every run of it."""
        return f"{RUNS_DIR}/{self.dataset}/{self.key}"

    @property
    def clean_run_id(self) -> str:
        """Cleaning's run id: the same for every run of the interval, so a re-run replaces its report."""
        return f"{self.dataset}-{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        missing = {"dataset", "days", "chain"} - set(known)
        if missing:
            raise ValueError(f"a scope needs {', '.join(sorted(missing))}; got keys {sorted(data)}")
        return cls(**known)


def scopes_extra(scopes: Iterable[Scope]) -> dict[str, Any]:
    """The extra of an asset event that hands these scopes to the next stage."""
    return {"scopes": [s.to_dict() for s in scopes]}


def scopes_from_extras(extras: Iterable[dict[str, Any] | None]) -> list[Scope]:
    """Scopes from the extras of the asset events that started a run, each (data set, interval) once.

    When several events arrive before the run starts, the latest scope of each data set
    and interval wins.
    """
    found: dict[tuple[str, str], Scope] = {}
    for extra in extras:
        for data in (extra or {}).get("scopes", []):
            scope = Scope.from_dict(data)
            found[(scope.dataset, scope.key)] = scope
    return list(found.values())


def write_plan(lake: Lake, scope_folder: str, source: str, plan: dict[str, list[str]]) -> str:
    """Write the ODS load plan (entity name -> days) of a landing; returns its lake path."""
    lake.makedirs(scope_folder)
    path = f"{scope_folder}/ods_plan.json"
    body = {"source": source, "entities": {name: sorted(days) for name, days in sorted(plan.items())}}
    lake.write_bytes(path, json.dumps(body, indent=2).encode())
    return path


def read_plan(lake: Lake, path: str) -> tuple[str, dict[str, list[str]]]:
    """The source and entity -> days of a plan written by write_plan."""
    data = json.loads(lake.read_bytes(path))
    return data["source"], {name: list(days) for name, days in data["entities"].items()}
