"""Importers of real public data sets: check a received file, then land it as it is.

Three formats are supported:

- `taobao`: the Taobao "UserBehavior" data set (CSV without header,
  `user_id,item_id,category_id,behavior_type,timestamp`);
- `cdnow`: the CDNOW purchase files, master (`customer_id date number_of_cds dollar_value`)
  or sample (`master_id sample_id date number_of_cds dollar_value`), whitespace separated;
- `baskets`: market-basket files, one transaction per line as comma-separated item names.

A file is checked in one streaming pass before it is landed, so that a file of the wrong
kind is refused with a message naming the line at fault instead of turning into a partition
of garbage. A few bad lines in an otherwise good file are only counted: they are landed with
the rest and kept in ODS with `_raw_line`, where cleaning quarantines them.

Locations are local paths, `file://` URIs, or `http(s)://` and `hdfs://` URIs (fetched
first, byte for byte; see `ecomlab.sources.fetch`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse

from ecomlab.sources.base import RawEntity
from ecomlab.sources.fetch import fetch, is_remote
from ecomlab.storage.lake import Lake
from ecomlab.storage.raw_zone import FileStats, Manifest, RawZone

Progress = Callable[[int], None]

DEFAULT_MAX_MALFORMED_FRACTION = 0.01
MAX_LINE_BYTES = 1 << 20
FIRST_PROBLEMS_KEPT = 10
_CHUNK = 1 << 20

TAOBAO_USER_BEHAVIOR = RawEntity(
    source="taobao",
    name="user_behavior",
    columns=("user_id", "item_id", "category_id", "behavior_type", "timestamp"),
    format="csv",
    description="Taobao UserBehavior: page views, favourites, cart adds and purchases (Tianchi data set 649).",
)
CDNOW_PURCHASES = RawEntity(
    source="cdnow",
    name="purchases",
    columns=("customer_id", "date", "number_of_cds", "dollar_value"),
    format="whitespace",
    description="CDNOW master file: every purchase of the 23,570 customers of the Q1 1997 cohort.",
)
CDNOW_SAMPLE_PURCHASES = RawEntity(
    source="cdnow",
    name="sample_purchases",
    columns=("master_id", "sample_id", "date", "number_of_cds", "dollar_value"),
    format="whitespace",
    description="CDNOW 1/10 sample: purchases of 2,357 customers of the Q1 1997 cohort.",
)


def cdnow_purchase_table(table_exists) -> str | None:
    """The CDNOW purchase table every analysis reads: the master file's when it was imported,
    else the 1/10 sample's (its customers are named by their master id, so both give the same
    customer ids); None when neither was. `table_exists` answers for a table name without database."""
    for entity in (CDNOW_PURCHASES, CDNOW_SAMPLE_PURCHASES):
        if table_exists(entity.ods_table):
            return entity.ods_table
    return None


BASKET_TRANSACTIONS = RawEntity(
    source="baskets",
    name="transactions",
    columns=("items",),
    format="lines",
    description="Market-basket transactions: the comma-separated item names of one basket per line.",
)

TAOBAO_BEHAVIORS = frozenset({"pv", "cart", "fav", "buy"})
# The data set's documented period; events outside it are counted, not rejected.
TAOBAO_PERIOD = (date(2017, 11, 25), date(2017, 12, 3))
CDNOW_PERIOD = (date(1997, 1, 1), date(1998, 6, 30))
CHINA_UTC_OFFSET_SECONDS = 8 * 3600

_UNSIGNED = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ ]*")
# Java's \s, which is what the ODS loader splits whitespace files on.
_BLANKS = re.compile(r"[ \t\n\x0b\f\r]+")
_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class InputFormatError(ValueError):
    """A file is not in the format it was imported as; the message names the file and line."""


class UnsupportedLocationError(ValueError):
    """A location that the importers cannot read (yet), such as an hdfs:// or https:// URI."""


@dataclass(frozen=True)
class MalformedLine:
    line_no: int
    reason: str


@dataclass
class ValidationStats:
    """What one pass over a file found: enough to decide whether to land it, and to report."""

    file: str
    kind: str
    entity: str = ""
    bytes: int = 0
    sha256: str = ""
    lines: int = 0
    header: bool = False
    rows: int = 0
    malformed: int = 0
    first_malformed: list[MalformedLine] = field(default_factory=list)
    users: int | None = None
    items: int | None = None
    first_day: str | None = None
    last_day: str | None = None
    outside_period: int = 0
    first_outside_period: list[int] = field(default_factory=list)
    # The data set's documented period, when it has one.
    period: tuple[str, str] | None = None

    @property
    def malformed_fraction(self) -> float:
        return self.malformed / self.rows if self.rows else 0.0

    @property
    def window(self) -> tuple[str, str] | None:
        """The days the batch covers: the documented period, else the days observed.

        Events outside a documented period stay in the batch, and cleaning flags them.
        """
        if self.period is not None:
            return self.period
        if self.first_day is None or self.last_day is None:
            return None
        return (self.first_day, self.last_day)

    def file_stats(self) -> FileStats:
        return FileStats(self.sha256, self.bytes, self.lines)

    def as_manifest_extra(self) -> dict[str, Any]:
        """The findings as JSON-ready values, kept in the batch manifest beside the file."""
        return {
            "importer": self.kind,
            "rows": self.rows,
            "malformed": self.malformed,
            "first_malformed": [{"line": m.line_no, "reason": m.reason} for m in self.first_malformed],
            "users": self.users,
            "items": self.items,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "outside_period": self.outside_period,
            "first_outside_period": list(self.first_outside_period),
        }


@dataclass(frozen=True)
class ImportResult:
    kind: str
    entity: RawEntity
    dt: str
    manifest: Manifest
    stored: bool  # False when the same batch had already been landed
    validation: ValidationStats

    @property
    def window(self) -> tuple[str, str] | None:
        return self.validation.window


class _Tally:
    """Distinct users and items and the range of event days, gathered while lines are checked.

    Distinct users and items are kept in sets: exact, and small enough for these data sets
    (about 1 million users in the full Taobao file), though they grow with the cardinality.
    """

    def __init__(self, period: tuple[date, date] | None):
        self.users: set[int] = set()
        self.items: set[str] = set()
        self.first_ordinal: int | None = None
        self.last_ordinal: int | None = None
        self.period = (period[0].toordinal(), period[1].toordinal()) if period else None
        self.outside_period = 0
        self.first_outside_period: list[int] = []

    def day(self, ordinal: int, line_no: int) -> None:
        if self.first_ordinal is None or ordinal < self.first_ordinal:
            self.first_ordinal = ordinal
        if self.last_ordinal is None or ordinal > self.last_ordinal:
            self.last_ordinal = ordinal
        if self.period and not self.period[0] <= ordinal <= self.period[1]:
            self.outside_period += 1
            if len(self.first_outside_period) < FIRST_PROBLEMS_KEPT:
                self.first_outside_period.append(line_no)


class _Format:
    """How lines of one kind of file split into fields and what makes a line valid."""

    kind = ""
    detects_header = True

    def __init__(self) -> None:
        self.tally = _Tally(None)
        self.entity: RawEntity | None = None

    def split(self, text: str) -> list[str]:
        raise NotImplementedError

    def choose_entity(self, fields: list[str]) -> RawEntity | str:
        """The entity the file's first data line says it is, or why it fits none."""
        raise NotImplementedError

    def check(self, fields: list[str], line_no: int) -> str | None:
        """Why a line is malformed, or None after recording what it says in the tally."""
        raise NotImplementedError


class _TaobaoFormat(_Format):
    kind = "taobao"
    _expected = (
        f"expected {len(TAOBAO_USER_BEHAVIOR.columns)} comma-separated fields {','.join(TAOBAO_USER_BEHAVIOR.columns)}"
    )

    def __init__(self) -> None:
        super().__init__()
        self.tally = _Tally(TAOBAO_PERIOD)

    def split(self, text: str) -> list[str]:
        return text.split(",")

    def choose_entity(self, fields: list[str]) -> RawEntity | str:
        return TAOBAO_USER_BEHAVIOR

    def check(self, fields: list[str], line_no: int) -> str | None:
        if len(fields) != len(TAOBAO_USER_BEHAVIOR.columns):
            return f"{self._expected}, got {len(fields)}"
        user_id, item_id, category_id, behavior, timestamp = fields
        for name, value in (("user_id", user_id), ("item_id", item_id), ("category_id", category_id)):
            if not _UNSIGNED.fullmatch(value):
                return f"{name} {_shown(value)} is not a non-negative integer"
        if behavior not in TAOBAO_BEHAVIORS:
            return f"behavior_type {_shown(behavior)} is not one of {', '.join(sorted(TAOBAO_BEHAVIORS))}"
        if not _SIGNED.fullmatch(timestamp):
            return f"timestamp {_shown(timestamp)} is not an integer (Unix seconds)"
        self.tally.users.add(int(user_id))
        china_day = (int(timestamp) + CHINA_UTC_OFFSET_SECONDS) // 86400
        self.tally.day(_EPOCH_ORDINAL + china_day, line_no)
        return None


class _CdnowFormat(_Format):
    kind = "cdnow"
    _layouts: ClassVar[dict[int, RawEntity]] = {len(e.columns): e for e in (CDNOW_PURCHASES, CDNOW_SAMPLE_PURCHASES)}

    def __init__(self) -> None:
        super().__init__()
        self.tally = _Tally(CDNOW_PERIOD)
        self._dates: dict[str, int | None] = {}

    def split(self, text: str) -> list[str]:
        return _BLANKS.split(text.strip(" "))

    def choose_entity(self, fields: list[str]) -> RawEntity | str:
        entity = self._layouts.get(len(fields))
        if entity is None:
            return (
                f"expected 4 whitespace-separated fields {' '.join(CDNOW_PURCHASES.columns)} (master file) "
                f"or 5 fields {' '.join(CDNOW_SAMPLE_PURCHASES.columns)} (sample file), got {len(fields)}"
            )
        return entity

    def check(self, fields: list[str], line_no: int) -> str | None:
        assert self.entity is not None
        columns = self.entity.columns
        if len(fields) != len(columns):
            return f"expected {len(columns)} whitespace-separated fields {' '.join(columns)}, got {len(fields)}"
        *ids, day, count, dollars = fields
        for name, value in zip(columns, ids, strict=False):
            if not _UNSIGNED.fullmatch(value):
                return f"{name} {_shown(value)} is not a non-negative integer"
        ordinal = self._date_ordinal(day)
        if ordinal is None:
            return f"date {_shown(day)} is not a calendar day written YYYYMMDD"
        if not _UNSIGNED.fullmatch(count):
            return f"number_of_cds {_shown(count)} is not a non-negative integer"
        if not _DECIMAL.fullmatch(dollars):
            return f"dollar_value {_shown(dollars)} is not a decimal number"
        self.tally.users.add(int(ids[0]))
        self.tally.day(ordinal, line_no)
        return None

    def _date_ordinal(self, text: str) -> int | None:
        if text not in self._dates:
            ordinal = None
            if len(text) == 8 and _UNSIGNED.fullmatch(text):
                try:
                    ordinal = date(int(text[:4]), int(text[4:6]), int(text[6:])).toordinal()
                except ValueError:
                    ordinal = None
            self._dates[text] = ordinal
        return self._dates[text]


class _BasketFormat(_Format):
    kind = "baskets"
    # Item names look just like column names, so a first line cannot be told to be a header.
    detects_header = False

    def split(self, text: str) -> list[str]:
        return [text]

    def choose_entity(self, fields: list[str]) -> RawEntity | str:
        return BASKET_TRANSACTIONS

    def check(self, fields: list[str], line_no: int) -> str | None:
        items = [name.strip() for name in fields[0].split(",")]
        named = [name for name in items if name]
        if not named:
            return "no item names, only commas"
        self.tally.items.update(named)
        return None


_FORMATS: dict[str, type[_Format]] = {f.kind: f for f in (_TaobaoFormat, _CdnowFormat, _BasketFormat)}
KINDS = tuple(_FORMATS)


def local_path(location: str | PathLike[str]) -> Path:
    """The local file a location names: a path or a `file://` URI; other URIs are refused."""
    if isinstance(location, PathLike):
        path = Path(location)
    else:
        text = str(location)
        scheme = _URI_SCHEME.match(text)
        if scheme is None:
            path = Path(text)
        elif scheme.group(1).lower() != "file":
            raise UnsupportedLocationError(
                f"cannot import {text}: {scheme.group(1)}:// locations are not supported; "
                "give a local path, or a file://, http(s):// or hdfs:// URI"
            )
        else:
            parsed = urlparse(text)
            if parsed.netloc not in ("", "localhost"):
                raise UnsupportedLocationError(
                    f"cannot import {text}: a file:// URI must name a file on this machine "
                    f"(file:///path), not one on host {parsed.netloc!r}"
                )
            path = Path(unquote(parsed.path))
    path = path.expanduser()
    if not path.exists():
        raise FileNotFoundError(f"cannot import {path}: no such file")
    if not path.is_file():
        raise IsADirectoryError(f"cannot import {path}: it is not a regular file")
    return path


def validate_file(
    kind: str,
    location: str | PathLike[str],
    *,
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
    progress: Progress | None = None,
) -> ValidationStats:
    """Check a file in one streaming pass; raise InputFormatError when it is not of this kind.

    The file is refused when it has no data line, when its first data line is malformed, or
    when more than `max_malformed_fraction` of its lines are malformed (undecodable UTF-8
    included). `progress` is called with the number of bytes just read.
    """
    fmt = _format(kind)
    if not 0.0 <= max_malformed_fraction <= 1.0:
        raise ValueError(f"max_malformed_fraction must be between 0 and 1, got {max_malformed_fraction}")
    path = local_path(location)
    stats = ValidationStats(file=str(path), kind=kind)
    digest = hashlib.sha256()

    def on_chunk(chunk: bytes) -> None:
        digest.update(chunk)
        stats.bytes += len(chunk)
        if progress:
            progress(len(chunk))

    header_fields: list[str] | None = None
    for line_no, raw in _numbered_lines(path, on_chunk):
        stats.lines = line_no
        text, reason = _decoded(raw)
        fields = fmt.split(text) if text is not None else []
        if reason is None and line_no == 1 and fmt.detects_header and _looks_like_header(fields):
            header_fields = fields
            stats.header = True
            continue
        stats.rows += 1
        if reason is None and fmt.entity is None:
            chosen = fmt.choose_entity(fields)
            if isinstance(chosen, str):
                raise InputFormatError(f"{path} line {line_no}: {chosen}")
            fmt.entity = chosen
            if header_fields is not None and len(header_fields) != len(chosen.columns):
                raise InputFormatError(
                    f"{path} line 1: the header has {len(header_fields)} fields "
                    f"({' '.join(header_fields)}) but the data lines have {len(chosen.columns)}"
                )
        if reason is None:
            reason = fmt.check(fields, line_no)
        if reason is not None:
            if stats.rows == 1:
                raise InputFormatError(f"{path} line {line_no}: {reason}")
            stats.malformed += 1
            if len(stats.first_malformed) < FIRST_PROBLEMS_KEPT:
                stats.first_malformed.append(MalformedLine(line_no, reason))

    stats.sha256 = digest.hexdigest()
    if stats.rows == 0:
        what = "has only a header line" if stats.header else "is empty"
        raise InputFormatError(f"{path} {what}: no data lines to import")
    if stats.malformed_fraction > max_malformed_fraction:
        examples = "; ".join(f"line {m.line_no}: {m.reason}" for m in stats.first_malformed[:3])
        raise InputFormatError(
            f"{path}: {stats.malformed:,} of {stats.rows:,} lines are malformed "
            f"({stats.malformed_fraction:.1%}, more than the {max_malformed_fraction:.1%} allowed); {examples}"
        )
    assert fmt.entity is not None
    stats.entity = fmt.entity.name
    tally = fmt.tally
    if fmt.kind == "baskets":
        stats.items = len(tally.items)
    else:
        stats.users = len(tally.users)
    if tally.first_ordinal is not None and tally.last_ordinal is not None:
        stats.first_day = date.fromordinal(tally.first_ordinal).isoformat()
        stats.last_day = date.fromordinal(tally.last_ordinal).isoformat()
    stats.outside_period = tally.outside_period
    stats.first_outside_period = tally.first_outside_period
    if tally.period is not None:
        stats.period = tuple(date.fromordinal(day).isoformat() for day in tally.period)
    return stats


def entity_of(stats: ValidationStats) -> RawEntity:
    """The entity a checked file is landed as, with the header flag the file itself has."""
    entity = _ENTITIES[(stats.kind, stats.entity)]
    return dataclasses.replace(entity, header=True) if stats.header else entity


def import_file(
    kind: str,
    location: str | PathLike[str],
    lake: Lake,
    *,
    dt: str | None = None,
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
    progress: Progress | None = None,
) -> ImportResult:
    """Check a file of one of the KINDS and land it, as received, in the raw zone.

    `dt` is the day the batch is landed for: by default the last day of the data (taobao,
    cdnow) or today in UTC for baskets, which carry no dates. Landing the same file for the
    same day again stores nothing new.
    """
    _format(kind)
    if dt is not None:
        _check_day(dt)
    if is_remote(location):
        # Remote files are fetched first, byte for byte, then checked and landed like local ones.
        with tempfile.TemporaryDirectory(prefix="ecomlab-fetch-") as directory:
            local = fetch(str(location), Path(directory), lake)
            result = import_file(
                kind, local, lake, dt=dt, max_malformed_fraction=max_malformed_fraction, progress=progress
            )
        result.validation.file = str(location)
        return result
    stats = validate_file(kind, location, max_malformed_fraction=max_malformed_fraction, progress=progress)
    entity = entity_of(stats)
    day = dt or stats.last_day or datetime.now(UTC).date().isoformat()
    landing = RawZone(lake).land(
        Path(stats.file),
        entity,
        day,
        window=stats.window,
        extra=stats.as_manifest_extra(),
        stats=stats.file_stats(),
    )
    return ImportResult(kind, entity, day, landing.manifest, landing.stored, stats)


def import_taobao(location: str | PathLike[str], lake: Lake, **options: Any) -> ImportResult:
    """Import a Taobao UserBehavior CSV file (options as for import_file)."""
    return import_file("taobao", location, lake, **options)


def import_cdnow(location: str | PathLike[str], lake: Lake, **options: Any) -> ImportResult:
    """Import a CDNOW master or sample file, told apart by their number of fields."""
    return import_file("cdnow", location, lake, **options)


def import_baskets(location: str | PathLike[str], lake: Lake, **options: Any) -> ImportResult:
    """Import a market-basket file; pass `dt`, since transactions carry no dates."""
    return import_file("baskets", location, lake, **options)


def import_and_load(
    spark,
    lake: Lake,
    kind: str,
    location: str | PathLike[str],
    dt: str | None = None,
    **options: Any,
):
    """Import a file and then (re)build its day's ODS partition; returns (ImportResult, OdsLoad)."""
    from ecomlab.warehouse.ods import load_ods

    result = import_file(kind, location, lake, dt=dt, **options)
    [load] = load_ods(spark, lake, result.entity, [result.dt])
    return result, load


_ENTITIES: dict[tuple[str, str], RawEntity] = {
    ("taobao", TAOBAO_USER_BEHAVIOR.name): TAOBAO_USER_BEHAVIOR,
    ("cdnow", CDNOW_PURCHASES.name): CDNOW_PURCHASES,
    ("cdnow", CDNOW_SAMPLE_PURCHASES.name): CDNOW_SAMPLE_PURCHASES,
    ("baskets", BASKET_TRANSACTIONS.name): BASKET_TRANSACTIONS,
}


def _format(kind: str) -> _Format:
    try:
        return _FORMATS[kind]()
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}") from None


def _check_day(dt: str) -> None:
    try:
        valid = date.fromisoformat(dt).isoformat() == dt
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"dt must be a day written YYYY-MM-DD, got {dt!r}")


def _numbered_lines(path: Path, on_chunk: Callable[[bytes], None]) -> Iterator[tuple[int, bytes | None]]:
    """Lines of a file with their 1-based number, reading fixed-size chunks.

    Memory stays bounded by the chunk size and MAX_LINE_BYTES: a longer line is not kept
    and comes out as None. Lines are numbered as the ODS loader and `file_stats` count them.
    """
    line_no = 0
    pending = b""
    too_long = False
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            on_chunk(chunk)
            pieces = chunk.split(b"\n")
            for piece in pieces[:-1]:
                line_no += 1
                yield line_no, None if too_long else pending + piece
                pending, too_long = b"", False
            if not too_long:
                pending += pieces[-1]
                if len(pending) > MAX_LINE_BYTES:
                    pending, too_long = b"", True
    if pending or too_long:
        yield line_no + 1, None if too_long else pending


def _decoded(raw: bytes | None) -> tuple[str | None, str | None]:
    """A line's text without its line break, or why it has none."""
    if raw is None:
        return None, f"longer than {MAX_LINE_BYTES:,} bytes"
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    if text.startswith("\ufeff"):
        return None, "starts with a byte order mark, which would become part of the first field"
    if not text.strip(" "):
        return None, "empty line"
    return text, None


def _looks_like_header(fields: list[str]) -> bool:
    """A first line of names rather than values: every field is a name, none a number."""
    return bool(fields) and all(_NAME.fullmatch(f) and not _DECIMAL.fullmatch(f) for f in fields)


def _shown(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")
