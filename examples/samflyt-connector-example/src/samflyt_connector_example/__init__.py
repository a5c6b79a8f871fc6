"""Welfare-technology alarms from a JSON-lines file: config, a pure mapping, and the I/O."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from connectors.sdk import (
    BadRecordError,
    Position,
    Record,
    Source,
    SourceConfig,
    headers,
)

__all__ = ["AlarmConfig", "AlarmSource", "map_line"]


# 1. The config: every setting typed; samflyt validates it before start.
class AlarmConfig(SourceConfig):
    path: Path = Field(description="the JSON-lines file the alarm central appends to")
    service_her_id: str = Field(pattern=r"^[0-9]+$", description="HER-id of the care service")


# 2. The pure mapping: one line in, one record out (or a rejected record).
def map_line(line: bytes, offset: int, config: AlarmConfig) -> Record:
    position = Position("alarms", str(offset))
    try:
        alarm = json.loads(line)
        alarm_id = str(alarm["id"])
        kind = str(alarm["kind"])
    except (ValueError, KeyError, TypeError):
        error = BadRecordError("not an alarm: needs JSON with id and kind", code="bad-alarm")
        return Record(line, position=position).rejected(error)
    return Record(
        value=line,
        key=config.service_her_id.encode(),
        headers=(
            (headers.MESSAGE_TYPE, f"ALARM_{kind.upper()}".encode()),
            (headers.RECIPIENT_HER_ID, config.service_her_id.encode()),
        ),
        position=position,
        message_id=f"alarm-{alarm_id}",
    )


# 3. The I/O: read whole lines after the committed byte offset.
class AlarmSource(Source[AlarmConfig]):
    name: ClassVar[str] = "welfare-alarms"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[AlarmConfig]] = AlarmConfig

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.offset = int(committed.get("alarms", "0"))

    async def poll(self, max_records: int) -> Sequence[Record]:
        records: list[Record] = []
        if self.config.path.exists():
            with open(self.config.path, "rb") as fh:
                fh.seek(self.offset)
                while len(records) < max_records:
                    line = fh.readline()
                    if not line.endswith(b"\n"):
                        break  # no line, or one still being written
                    self.offset = fh.tell()
                    if line.strip():
                        records.append(map_line(line.rstrip(b"\n"), self.offset, self.config))
        if not records:
            await asyncio.sleep(0.2)
        return records

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        # not published: read them again from the first one's start
        first = next((r for r in records if r.position is not None), None)
        if first is not None and first.position is not None:
            self.offset = int(first.position.offset) - len(first.value) - 1
