"""The raw zone: every received file, kept as received, with a manifest.

Layout: `raw/<source>/<entity>/dt=<day>/batch=<batch id>/<file>` plus `_manifest.json`
beside it. A batch is first written under a temporary name and then renamed into
place, so readers never see half a batch; the same batch landed twice is stored once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecomlab.sources.base import RawEntity
from ecomlab.storage.lake import Lake

MANIFEST = "_manifest.json"
_CHUNK = 1 << 20


class BatchConflictError(Exception):
    """A batch id is already landed with different content."""


@dataclass(frozen=True)
class FileStats:
    sha256: str
    bytes: int
    lines: int


@dataclass
class Manifest:
    source: str
    entity: str
    dt: str
    batch_id: str
    file: str
    sha256: str
    bytes: int
    rows: int
    header: bool
    format: str
    window_start: str | None = None
    window_end: str | None = None
    landed_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def directory(self) -> str:
        return batch_dir(self.source, self.entity, self.dt, self.batch_id)

    @property
    def file_path(self) -> str:
        return f"{self.directory}/{self.file}"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        return cls(**json.loads(data))


def entity_dir(source: str, entity: str) -> str:
    return f"raw/{source}/{entity}"


def batch_dir(source: str, entity: str, dt: str, batch_id: str) -> str:
    return f"{entity_dir(source, entity)}/dt={dt}/batch={batch_id}"


def file_stats(path: Path, progress=None) -> FileStats:
    """Checksum, size and line count in one streaming pass."""
    digest = hashlib.sha256()
    size = lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if progress:
                progress(len(chunk))
    if size and last != b"\n":
        lines += 1
    return FileStats(digest.hexdigest(), size, lines)


@dataclass(frozen=True)
class LandingResult:
    manifest: Manifest
    stored: bool  # False when the batch was already there


class RawZone:
    def __init__(self, lake: Lake):
        self.lake = lake

    def land(
        self,
        local_file: Path,
        entity: RawEntity,
        dt: str,
        batch_id: str | None = None,
        window: tuple[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        stats: FileStats | None = None,
    ) -> LandingResult:
        """Store a received file as it is, with its manifest, atomically and once."""
        local_file = Path(local_file)
        if not local_file.is_file():
            raise FileNotFoundError(f"cannot land {local_file}: no such file")
        stats = stats or file_stats(local_file)
        batch_id = batch_id or stats.sha256[:16]
        manifest = Manifest(
            source=entity.source,
            entity=entity.name,
            dt=dt,
            batch_id=batch_id,
            file=local_file.name,
            sha256=stats.sha256,
            bytes=stats.bytes,
            rows=max(stats.lines - (1 if entity.header else 0), 0),
            header=entity.header,
            format=entity.format,
            window_start=window[0] if window else None,
            window_end=window[1] if window else None,
            landed_at=datetime.now(UTC).isoformat(timespec="seconds"),
            extra=extra or {},
        )
        existing = self.manifest(entity, dt, batch_id)
        if existing is not None:
            return LandingResult(self._same_or_conflict(existing, manifest), stored=False)

        staging = f"{entity_dir(entity.source, entity.name)}/_staging/{batch_id}-{uuid.uuid4().hex[:8]}"
        self.lake.makedirs(staging)
        try:
            self.lake.upload(local_file, f"{staging}/{manifest.file}")
            self.lake.write_bytes(f"{staging}/{MANIFEST}", manifest.to_json())
            if not self.lake.rename(staging, manifest.directory):
                # Another landing of the same batch won the race.
                existing = self.manifest(entity, dt, batch_id)
                assert existing is not None
                return LandingResult(self._same_or_conflict(existing, manifest), stored=False)
        finally:
            self.lake.delete(staging)
        return LandingResult(manifest, stored=True)

    @staticmethod
    def _same_or_conflict(existing: Manifest, new: Manifest) -> Manifest:
        if existing.sha256 != new.sha256:
            raise BatchConflictError(
                f"batch {new.batch_id} of {new.source}/{new.entity} for {new.dt} is already landed "
                f"with different content (sha256 {existing.sha256[:12]}... vs {new.sha256[:12]}...); "
                "land the new file under another batch id"
            )
        return existing

    def manifest(self, entity: RawEntity, dt: str, batch_id: str) -> Manifest | None:
        path = f"{batch_dir(entity.source, entity.name, dt, batch_id)}/{MANIFEST}"
        if not self.lake.exists(path):
            return None
        return Manifest.from_json(self.lake.read_bytes(path))

    def batches(self, entity: RawEntity, dt: str) -> list[Manifest]:
        """Every batch landed for one entity and day, oldest batch id first."""
        day_dir = f"{entity_dir(entity.source, entity.name)}/dt={dt}"
        found = []
        for name in self.lake.list(day_dir):
            if name.startswith("batch="):
                manifest = self.manifest(entity, dt, name.removeprefix("batch="))
                if manifest is not None:
                    found.append(manifest)
        return found

    def days(self, entity: RawEntity) -> list[str]:
        names = self.lake.list(entity_dir(entity.source, entity.name))
        return sorted(n.removeprefix("dt=") for n in names if n.startswith("dt="))
