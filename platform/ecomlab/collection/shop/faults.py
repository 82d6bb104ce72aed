"""Switchable faults of the demo shop, for labs and tests.

Each fault hits a fixed share of product and listing pages, chosen by a hash of the path,
so a page is either always affected or never (reproducible crawls). Transient errors
answer 503 for a page's first `transient_failures` requests and then succeed, so a
crawler's retries can be seen working; broken pages answer 500 every time.
"""

from __future__ import annotations

import zlib

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slow_ms: int = Field(0, ge=0, le=60_000, description="Delay added to every page and API response.")
    transient_rate: float = Field(0.0, ge=0, le=1, description="Share of pages that first answer 503.")
    transient_failures: int = Field(2, ge=1, le=20, description="503 answers before such a page succeeds.")
    broken_rate: float = Field(0.0, ge=0, le=1, description="Share of pages that always answer 500.")
    reset_rate: float = Field(0.0, ge=0, le=1, description="Share of pages whose connection drops mid-response.")
    malformed_rate: float = Field(0.0, ge=0, le=1, description="Share of pages served as broken HTML.")
    redirect_loop_rate: float = Field(0.0, ge=0, le=1, description="Share of pages that redirect in a loop.")
    huge_rate: float = Field(0.0, ge=0, le=1, description="Share of pages padded to huge_bytes.")
    huge_bytes: int = Field(4_000_000, ge=1, le=500_000_000)

    def hits(self, fault: str, path: str) -> bool:
        rate = getattr(self, f"{fault}_rate")
        if rate <= 0:
            return False
        return zlib.crc32(f"{fault}:{path}".encode()) / 0xFFFFFFFF < rate

    @classmethod
    def from_query(cls, text: str) -> Faults:
        """Parse `name=value,name=value` (the CLI's --faults option)."""
        values = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            if "=" not in part:
                raise ValueError(f"fault {part!r}: write name=value (known: {', '.join(cls.model_fields)})")
            key, value = part.split("=", 1)
            values[key.strip()] = value.strip()
        return cls(**values)
