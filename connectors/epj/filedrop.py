"""EPJ file drop: publishes complete XML files from an inbox, then moves them to ``done/``.

Bad files (unreadable XML, wrong type, a sender the inbox may not send as, too big, not a
regular file, unreadable) go to the dead-letter topic and then to ``failed/`` (``0700``) with a
``.reason.txt`` (``0600``) beside them, while the rest of the inbox flows. Files are opened
without following links and their size checked before reading (:mod:`._files`). A file leaves
the inbox only after its record is acknowledged by the broker, and the runner deduplicates by
message id, so a crash at any point loses nothing and publishes nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import DirectoryPath, Field

from .._envelope import accepts, read_envelope, to_record
from ..sdk import MAX_MESSAGE_BYTES, BadRecordError, Position, Record, Source, SourceConfig
from ..sdk.base import Health, HealthStatus
from ._auth import permitted_sender
from ._files import (
    FileRefusal,
    Stability,
    ensure_private_dir,
    is_candidate,
    make_private,
    move_aside,
    read_inbox_file,
    write_reason,
)

__all__ = ["FileDropConfig", "FileDropSource", "map_file", "refused_file"]

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
    # required: whoever can write the inbox can otherwise send as any organisation
    sender_her_ids: list[str] = Field(
        min_length=1, description="HER-ids this inbox may send as, its units' included"
    )


def refused_file(name: str, refusal: FileRefusal) -> Record:
    """The record of a file that was not read: empty (its bytes, if any, stay in ``failed/``),
    rejected with why, naming the file."""
    error = BadRecordError(f"file {name} {refusal.reason}", code=refusal.code)
    return Record(b"", position=Position("inbox", name)).rejected(error)


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
        self._stuck: set[str] = set()  # could not be moved aside; skipped until they change

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        ensure_private_dir(self.failed_dir)
        self._inflight.clear()

    async def health(self) -> Health:
        if not self.started:
            return Health(HealthStatus.DOWN, "not started")
        if not self.inbox.is_dir():
            return Health(HealthStatus.DOWN, "inbox directory missing")
        if self._stuck:
            return Health(HealthStatus.DEGRADED, f"{len(self._stuck)} file(s) cannot be moved")
        return Health(HealthStatus.OK, f"{len(self._inflight)} file(s) in flight")

    def ready_files(self, now: float) -> list[str]:
        """Names of the complete, stable entries not yet handed out, oldest name first: regular
        files, and links, FIFOs and devices (to be refused); never a directory. Nothing is
        followed: a link is judged as the link."""
        ready: list[str] = []
        present: set[str] = set()
        with os.scandir(self.inbox) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if not is_candidate(entry.name, self.config.pattern):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        continue
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                present.add(entry.name)
                signature = (info.st_size, info.st_mtime_ns)
                stable = self._stability.observe(entry.name, signature, now)
                if stable and entry.name not in self._inflight | self._stuck:
                    ready.append(entry.name)
        self._stability.keep_only(present)
        self._stuck &= present
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
                data = read_inbox_file(self.inbox / name, self.config.max_bytes)
            except FileNotFoundError:
                continue  # taken away meanwhile
            self._inflight.add(name)
            if isinstance(data, FileRefusal):
                records.append(refused_file(name, data))
            else:
                records.append(map_file(name, data, self.config))
        return records

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            if record.position is None:
                continue
            name = record.position.offset
            try:
                self._move_aside(name, record)
            except FileNotFoundError:
                pass  # taken away meanwhile
            except OSError as exc:
                # its record is published or dead-lettered; it stays, skipped, until it changes
                self._stuck.add(name)
                log.error("file cannot be moved aside", extra={"reason": exc.strerror})
            self._inflight.discard(name)
            self._stability.forget([name])

    def _move_aside(self, name: str, record: Record) -> None:
        src = self.inbox / name
        if record.error is None:
            move_aside(src, self.done_dir)
            return
        write_reason(self.failed_dir, name, record.error.code, str(record.error))
        make_private(move_aside(src, self.failed_dir))
        log.warning("file rejected", extra={"code": record.error.code})

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        for record in records:
            if record.position is not None:
                self._inflight.discard(record.position.offset)
