"""The declarative cleaning spec (`rules.yaml`): every rule, checked when it is loaded."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ColumnType = Literal["string", "int", "bigint", "decimal", "timestamp", "date"]
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "accuracy")
# Each named check reads another table's findings, which must be cleaned first.
CHECKS = {"order_total_matches_items": "shop_order_items", "refund_not_above_payment": "shop_payments"}


class SpecError(ValueError):
    """The cleaning spec is wrong; the message names the table, column and key."""


class Outlier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str
    # Where the group column lives when it is not in the table itself: table.key_column.
    lookup: str | None = None
    # A column of the lookup table to divide by first (compare a sale price to list price).
    relative_to: str | None = None


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ColumnType = "string"
    # Dates and timestamps: the Spark datetime pattern they arrive in (default ISO), or
    # epoch_seconds for Unix time.
    format: str | None = None
    required: bool = False
    values: list[str] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    references: str | None = None
    outlier: Outlier | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _as_strings(cls, value):
        return None if value is None else [str(v) for v in value]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from None
        return value

    @field_validator("references")
    @classmethod
    def _table_dot_column(cls, value: str | None) -> str | None:
        if value is not None and value.count(".") != 1:
            raise ValueError(f"must be table.column, got {value!r}")
        return value


class TableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: list[str]
    columns: dict[str, ColumnRule]
    event_time: str | None = None
    # Time zone whose calendar days the batch window is in.
    timezone: str = "UTC"
    snapshot: bool = False
    checks: list[Literal["order_total_matches_items", "refund_not_above_payment"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_columns(self) -> TableSpec:
        for name in [*self.key, *([self.event_time] if self.event_time else [])]:
            if name not in self.columns:
                raise ValueError(f"{name!r} is not one of the table's columns")
        for name, rule in self.columns.items():
            if rule.outlier and rule.outlier.lookup is None and rule.outlier.by not in self.columns:
                raise ValueError(f"{name}.outlier.by: {rule.outlier.by!r} is not a column (give a lookup)")
        return self


class CleaningSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thresholds: dict[Literal[DIMENSIONS], float]  # type: ignore[valid-type]
    max_rounds: int = Field(ge=1, le=5)
    refinements: list[Literal["extra_timestamp_formats"]] = Field(default_factory=list)
    outlier_k: float = Field(gt=0)
    tables: dict[str, TableSpec]

    @model_validator(mode="after")
    def _references_resolve(self) -> CleaningSpec:
        missing = [d for d in DIMENSIONS if d not in self.thresholds]
        if missing:
            raise ValueError(f"thresholds: missing {missing}")
        for table_name, table in self.tables.items():
            for column, rule in table.columns.items():
                targets = [t for t in (rule.references, rule.outlier and rule.outlier.lookup) if t]
                for target in targets:
                    ref_table, ref_column = target.split(".")
                    if ref_table not in self.tables or ref_column not in self.tables[ref_table].columns:
                        raise ValueError(f"tables.{table_name}.columns.{column}: {target} is not a known column")
        return self

    def context_of(self, table: str) -> set[str]:
        """Tables whose annotated rows the detection of `table` reads (cross-table checks, outlier yardsticks)."""
        t = self.tables[table]
        needs = {CHECKS[c] for c in t.checks}
        needs |= {r.outlier.lookup.split(".")[0] for r in t.columns.values() if r.outlier and r.outlier.lookup}
        return needs & set(self.tables)

    def order(self) -> list[str]:
        """Tables in dependency order: referenced tables are cleaned first."""
        done: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in done:
                return
            if name in path:
                raise SpecError(f"tables: reference cycle {' -> '.join((*path, name))}")
            for rule in self.tables[name].columns.values():
                for target in (rule.references, rule.outlier and rule.outlier.lookup):
                    if target:
                        visit(target.split(".")[0], (*path, name))
            for check in self.tables[name].checks:
                if CHECKS[check] in self.tables:
                    visit(CHECKS[check], (*path, name))
            done.append(name)

        for name in self.tables:
            visit(name, ())
        return done


def load_spec(path: str | Path | None = None) -> CleaningSpec:
    """Read and check a spec (default: the packaged rules.yaml)."""
    if path is None:
        text, origin = (resources.files("ecomlab.cleaning") / "rules.yaml").read_text(encoding="utf-8"), "rules.yaml"
    else:
        text, origin = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        return CleaningSpec(**(yaml.safe_load(text) or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        raise SpecError(f"{origin}: {problems}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{origin}: not valid YAML: {exc}") from None
