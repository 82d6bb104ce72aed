"""What a raw file of each source looks like, so that it can be landed and loaded to ODS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RawFormat = Literal["csv", "whitespace", "lines", "jsonl"]


@dataclass(frozen=True)
class RawEntity:
    """One kind of raw file: its source, columns and text format.

    - `csv`: comma-separated with RFC 4180 quoting;
    - `whitespace`: fields separated by runs of blanks (fixed-width files such as CDNOW);
    - `lines`: the whole line is one value (market-basket files);
    - `jsonl`: one JSON object per line, columns taken by name (crawled records).
    """

    source: str
    name: str
    columns: tuple[str, ...]
    format: RawFormat = "csv"
    header: bool = False
    description: str = ""
    # Snapshot entities describe state (items, users); the others are daily facts.
    snapshot: bool = False

    @property
    def ods_table(self) -> str:
        return f"{self.source}_{self.name}"

    @property
    def qualified_ods_table(self) -> str:
        return f"ods.{self.ods_table}"
