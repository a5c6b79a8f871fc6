"""EPJ file drop: publishes complete XML files from an inbox, then moves them to ``done/``.

Bad files (unreadable XML, wrong type, forged sender, too big) go to the dead-letter topic and
then to ``failed/`` with a ``.reason.txt`` beside them. A file leaves the inbox only after its
record is acknowledged by the broker, and the runner deduplicates by message id, so a crash at
any point loses nothing and publishes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import DirectoryPath, Field

from .._envelope import accepts, read_envelope, to_record
from ..sdk import MAX_MESSAGE_BYTES, BadRecordError, Position, Record, Source, SourceConfig
from ..sdk.base import Health, HealthStatus
from ._auth import permitted_sender
from ._files import Stability, is_candidate, move_aside, write_reason

__all__ = ["FileDropConfig", "FileDropSource", "map_file"]

log = logging.getLogger(__name__)


class FileDropConfig(SourceConfig):
    inbox: DirectoryPath = Field(description="directory the EPJ system drops files into")
    done_dir: Path | None = Field(None, description="default: <inbox>/done")
    failed_dir: Path | None = Field(None, description="default: <inbox>/failed")
    pattern: str = Field("*.xml", min_length=1)
    stable_for: float = Field(1.0, ge=0, description="seconds a file must stay unchanged")
    scan_interval: float = Field(0.5, gt=0, le=60)
    max_bytes: int = Field(MAX_MESSAGE_BYTES, ge=1, le=MAX_MESSAGE_BYTES)
    accept_types: list[str] | None = Field(None, description="message-type globs; None: all")
    sender_her_ids: list[str] | None = Field(
        None, description="HER-ids this inbox may send as; None: not checked"
    )


def map_file(name: str, data: bytes, config: FileDropConfig) -> Record:
    """The record for one file (pure but for the XML parse): good, or marked rejected."""
    position = Position("inbox", name)
    if len(data) > config.max_bytes:
        # the file stays in failed/; its dead letter names it without carrying what no topic
        # takes (the record would be refused by the broker, and the dead letter with it)
        error = BadRecordError(
            f"file {name} of {len(data)} bytes is larger than {config.max_bytes}", code="T99"
        )
        return Record(b"", position=position).rejected(error)
    try:
        envelope = read_envelope(data)
    except BadRecordError as exc:
        return Record(data, position=position).rejected(exc)
    if not accepts(config.accept_types, envelope.msg_type):
        error = BadRecordError(f"message type {envelope.msg_type} not accepted here", code="T10")
        return Record(data, position=position).rejected(error)
    sender = None
    if config.sender_her_ids is not None:
        sender = permitted_sender(config.sender_her_ids, envelope.sender_her_ids)
        if sender is None:
            error = BadRecordError("sender HER-id is not one this inbox may send as", code="E21")
            return Record(data, position=position).rejected(error)
    return to_record(data, envelope, position=position, authenticated_sender=sender)


class FileDropSource(Source[FileDropConfig]):
    """Watches ``inbox``; see the module docstring for the guarantees."""

    name: ClassVar[str] = "epj-filedrop"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[FileDropConfig]] = FileDropConfig

    def __init__(self, config: FileDropConfig) -> None:
        super().__init__(config)
        self.inbox = Path(config.inbox)
        self.done_dir = config.done_dir or self.inbox / "done"
        self.failed_dir = config.failed_dir or self.inbox / "failed"
        self._stability = Stability(config.stable_for)
        self._inflight: set[str] = set()
        self._last_error: str | None = None

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        self.failed_dir.mkdir(parents=True, exist_ok=True)
        self._inflight.clear()

    async def health(self) -> Health:
        if not self.started:
            return Health(HealthStatus.DOWN, "not started")
        if not self.inbox.is_dir():
            return Health(HealthStatus.DOWN, "inbox directory missing")
        return Health(HealthStatus.OK, f"{len(self._inflight)} file(s) in flight")

    def ready_files(self, now: float) -> list[str]:
        """Names of the complete, stable files not yet handed out, oldest name first."""
        ready: list[str] = []
        present: set[str] = set()
        with_entries = sorted(self.inbox.iterdir(), key=lambda p: p.name)
        for path in with_entries:
            if not is_candidate(path.name, self.config.pattern) or not path.is_file():
                continue
            present.add(path.name)
            stat = path.stat()
            stable = self._stability.observe(path.name, (stat.st_size, stat.st_mtime_ns), now)
            if stable and path.name not in self._inflight:
                ready.append(path.name)
        self._stability.keep_only(present)
        return ready

    async def poll(self, max_records: int) -> Sequence[Record]:
        deadline = time.monotonic() + self.config.scan_interval
        while True:
            names = self.ready_files(time.monotonic())[:max_records]
            if names:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return ()
            await asyncio.sleep(min(remaining, self.config.scan_interval / 2))
        records: list[Record] = []
        for name in names:
            try:
                data = (self.inbox / name).read_bytes()
            except FileNotFoundError:
                continue  # taken away meanwhile
            self._inflight.add(name)
            records.append(map_file(name, data, self.config))
        return records

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            if record.position is None:
                continue
            name = record.position.offset
            src = self.inbox / name
            if record.error is None:
                move_aside(src, self.done_dir)
            else:
                write_reason(self.failed_dir, name, record.error.code, str(record.error))
                move_aside(src, self.failed_dir)
                log.warning("file rejected", extra={"code": record.error.code})
            self._inflight.discard(name)
            self._stability.forget([name])

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        for record in records:
            if record.position is not None:
                self._inflight.discard(record.position.offset)
