"""The parameters a pipeline run is triggered with, checked before anything runs.

Airflow checks each parameter's type against the JSON schema of the DAG's params; the
rules that span several parameters (a date range, an input file that only some sources
take) are checked here, with a message naming the parameter and what is wrong.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

SOURCES = ("shop", "taobao", "cdnow", "baskets")
IMPORT_SOURCES = SOURCES[1:]
MIN_EVENTS, MAX_EVENTS = 10_000, 100_000_000
MAX_CRAWL_ITEMS = 10_000
MAX_DAYS = 366
DEFAULT_START = date(2026, 11, 1)
DEFAULT_DAYS = 7


class ParamsError(ValueError):
    """A run's parameters are wrong; the message names each wrong parameter."""


class RunParams(BaseModel):
    """One run: where the data comes from and which days it covers."""

    model_config = ConfigDict(extra="forbid")

    # shop: the simulator; taobao, cdnow, baskets: a public data file named by `input`.
    source: Literal["shop", "taobao", "cdnow", "baskets"] = "shop"
    # First and last day (inclusive). For the simulator they set the simulated days
    # (default: a week from DEFAULT_START); for an imported file, `end` is the day it is
    # landed for (default: the file's last day) and `start` is not used.
    start: date | None = None
    end: date | None = None
    events: int = 100_000
    seed: int = 20261101
    input: str | None = None
    # Product pages per site when crawling the demo shop and a competitor; 0: no crawl.
    crawl_items: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> RunParams:
        problems = []
        if not MIN_EVENTS <= self.events <= MAX_EVENTS:
            problems.append(f"events: must be between {MIN_EVENTS:,} and {MAX_EVENTS:,}, got {self.events:,}")
        if not 0 <= self.crawl_items <= MAX_CRAWL_ITEMS:
            problems.append(f"crawl_items: must be between 0 and {MAX_CRAWL_ITEMS:,}, got {self.crawl_items:,}")
        if self.start and self.end and self.end < self.start:
            problems.append(f"end: {self.end} is before start {self.start}")
        elif self.start and self.end and (self.end - self.start).days + 1 > MAX_DAYS:
            problems.append(f"end: the range {self.start} .. {self.end} is longer than {MAX_DAYS} days")
        if self.source in IMPORT_SOURCES:
            if not self.input:
                problems.append(f"input: the {self.source} source needs the path or URI of its file")
            if self.start and not self.end:
                problems.append("start: an imported file is landed for one day; give end instead")
        elif self.input:
            problems.append(f"input: the shop source simulates its data and takes no input file (got {self.input!r})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def first_day(self) -> date:
        return self.start or (self.end - timedelta(days=DEFAULT_DAYS - 1) if self.end else DEFAULT_START)

    @property
    def last_day(self) -> date:
        return self.end or self.first_day + timedelta(days=DEFAULT_DAYS - 1)

    @property
    def days(self) -> list[str]:
        """The simulated days, first to last."""
        first, count = self.first_day, (self.last_day - self.first_day).days + 1
        return [(first + timedelta(days=i)).isoformat() for i in range(count)]


def validate_params(raw: dict[str, Any]) -> RunParams:
    """The checked parameters of a run; ParamsError naming every wrong one otherwise.

    Parameters that are None (not given) take their defaults.
    """
    return _checked(RunParams, raw)


def _checked(model: type[BaseModel], raw: dict[str, Any]):
    given = {key: value for key, value in raw.items() if value is not None and value != ""}
    try:
        return model(**given)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = f"unknown parameter (known: {', '.join(model.model_fields)})"
            lines.extend(f"  {where + ': ' if where else ''}{part}" for part in message.split("; "))
        raise ParamsError("invalid run parameters:\n" + "\n".join(lines)) from None


DATASETS = (*SOURCES, "crawl")


class StageParams(BaseModel):
    """A stage DAG run by hand (not by its upstream asset): which data set and days to redo."""

    model_config = ConfigDict(extra="forbid")

    dataset: Literal["shop", "taobao", "cdnow", "baskets", "crawl"] = "shop"
    start: date = DEFAULT_START
    end: date | None = None
    # ODS tables to clean (without `ods.`); default: every table of the data set.
    tables: list[str] = []

    @model_validator(mode="after")
    def _range(self) -> StageParams:
        if self.end and self.end < self.start:
            raise ValueError(f"end: {self.end} is before start {self.start}")
        if self.end and (self.end - self.start).days + 1 > MAX_DAYS:
            raise ValueError(f"end: the range {self.start} .. {self.end} is longer than {MAX_DAYS} days")
        return self

    @property
    def days(self) -> list[str]:
        last = self.end or self.start
        return [(self.start + timedelta(days=i)).isoformat() for i in range((last - self.start).days + 1)]


def validate_stage_params(raw: dict[str, Any]) -> StageParams:
    """The checked parameters of a stage run by hand; ParamsError naming every wrong one otherwise."""
    return _checked(StageParams, raw)
