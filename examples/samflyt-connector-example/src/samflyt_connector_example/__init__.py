"""Welfare-technology alarms from a JSON-lines file: config, a pure mapping, and the I/O.

The alarm central writes one JSON object per alarm; ``raw.welfare`` takes KITH XML, so the
mapping writes each alarm as a MsgHead around samflyt's ``Hendelse`` event (the format the
pipeline reads for ``SAMFLYT_ALARM``), from the municipality to the care service.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape, quoteattr

from pydantic import Field

from connectors.sdk import (
    BadRecordError,
    Position,
    Record,
    Source,
    SourceConfig,
    headers,
)

__all__ = ["AlarmConfig", "AlarmSource", "alarm_message", "map_line", "read_lines"]

MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"
EVENT_NS = "urn:samflyt:xmlstds:hendelse:1.0"
HER = 'V="HER" DN="HER-id" S="2.16.578.1.12.4.1.1.9051"'
# the alarm central's kinds -> the sensor codes of samflyt's Hendelse format
SENSORS = {
    "fall": ("FALL", "Fallsensor"),
    "door": ("DOR", "Dørsensor"),
    "bed": ("SENG", "Sengesensor"),
    "safety": ("TRYGGHET", "Trygghetsalarm"),
    "stove": ("KOMFYR", "Komfyrvakt"),
}
# message ids must be UUIDs (AppRec E10): one derived from the alarm's own id stays the same
# when the alarm is read again, so the runner publishes it once
ALARM_IDS = uuid.UUID("5d1f3a52-3b43-4c52-9a8e-6a1f0c9f7e10")


# 1. The config: every setting typed; samflyt validates it before start.
class AlarmConfig(SourceConfig):
    path: Path = Field(description="the JSON-lines file the alarm central appends to")
    sender_her_id: str = Field(pattern=r"^[0-9]+$", description="HER-id of the municipality")
    sender_name: str = Field(min_length=1, description="the municipality's name")
    service_her_id: str = Field(pattern=r"^[0-9]+$", description="HER-id of the care service")
    service_name: str = Field(min_length=1, description="the care service's name")


# 2. The pure mapping: one line in, one record out (or a rejected record).
def _party(tag: str, her_id: str, name: str) -> str:
    return (
        f"<{tag}><Organisation><OrganisationName>{escape(name)}</OrganisationName>"
        f"<Ident><Id>{escape(her_id)}</Id><TypeId {HER}/></Ident></Organisation></{tag}>"
    )


def alarm_message(alarm: Mapping[str, Any], message_id: str, config: AlarmConfig) -> bytes:
    """The alarm as a MsgHead v1.2 message (``SAMFLYT_ALARM``) from the municipality to the
    care service, about the resident; raises KeyError/ValueError when a field is missing."""
    resident = alarm["resident"]
    sensor, sensor_name = SENSORS[str(alarm["kind"])]
    at = datetime.fromisoformat(str(alarm["time"])).replace(tzinfo=None).isoformat("T", "seconds")
    location = str(alarm.get("location") or "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<MsgHead xmlns="{MSGHEAD_NS}"><MsgInfo>'
        '<Type V="SAMFLYT_ALARM" DN="Velferdsteknologisk alarm"'
        ' S="urn:samflyt:kodeverk:hendelsestype"/>'
        f"<MIGversion>v1.2 2006-05-24</MIGversion><GenDate>{at}</GenDate>"
        f"<MsgId>{message_id}</MsgId>"
        f"{_party('Sender', config.sender_her_id, config.sender_name)}"
        f"{_party('Receiver', config.service_her_id, config.service_name)}"
        f"<Patient><FamilyName>{escape(str(resident['family_name']))}</FamilyName>"
        f"<GivenName>{escape(str(resident['given_name']))}</GivenName>"
        f"<Ident><Id>{escape(str(resident['national_id']))}</Id>"
        '<TypeId V="FNR" DN="Fødselsnummer" S="2.16.578.1.12.4.1.1.8116"/></Ident></Patient>'
        "</MsgInfo><Document><RefDoc>"
        f'<IssueDate V="{at}"/><MsgType V="XML" DN="XML-instans"/><Content>'
        f'<Hendelse xmlns="{EVENT_NS}"><HendelseId>{message_id}</HendelseId>'
        f"<Tidspunkt>{at}</Tidspunkt><Kilde>Alarmsentral</Kilde>"
        f"<Alarm><Sensor V={quoteattr(sensor)} DN={quoteattr(sensor_name)}/>"
        '<Prioritet V="1" DN="Akutt"/>'
        f"<Lokasjon>{escape(location)}</Lokasjon></Alarm></Hendelse>"
        "</Content></RefDoc></Document></MsgHead>"
    ).encode()


def map_line(line: bytes, offset: int, config: AlarmConfig) -> Record:
    position = Position("alarms", str(offset))
    try:
        alarm = json.loads(line)
        message_id = str(uuid.uuid5(ALARM_IDS, f"{config.sender_her_id}:{alarm['id']}"))
        message = alarm_message(alarm, message_id, config)
    except (ValueError, KeyError, TypeError):
        error = BadRecordError(
            "not an alarm: needs JSON with id, kind, time and resident", code="bad-alarm"
        )
        return Record(line, position=position).rejected(error)
    return Record(
        value=message,
        key=config.sender_her_id.encode(),  # raw topics are keyed by the sender's HER-id
        headers=(
            (headers.MESSAGE_TYPE, b"SAMFLYT_ALARM"),
            (headers.CONTENT_TYPE, b"application/xml"),
            (headers.RECIPIENT_HER_ID, config.service_her_id.encode()),
        ),
        position=position,
        message_id=message_id,
    )


# 3. The I/O: read whole lines after the committed byte offset.
def read_lines(path: Path, offset: int, max_lines: int) -> list[tuple[int, int, bytes]]:
    """Up to ``max_lines`` complete, non-blank lines after byte ``offset``, each with where it
    starts and ends; a last line still being written (no newline yet) is left for later."""
    lines: list[tuple[int, int, bytes]] = []
    if not path.exists():
        return lines
    with path.open("rb") as fh:
        fh.seek(offset)
        while len(lines) < max_lines:
            start = fh.tell()
            line = fh.readline()
            if not line.endswith(b"\n"):
                break
            if line.strip():
                lines.append((start, fh.tell(), line.rstrip(b"\n")))
    return lines


class AlarmSource(Source[AlarmConfig]):
    name: ClassVar[str] = "welfare-alarms"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[AlarmConfig]] = AlarmConfig

    async def on_start(self, committed: Mapping[str, str]) -> None:
        self.offset = int(committed.get("alarms", "0"))
        self._line_starts: dict[str, int] = {}  # a record's position -> where its line starts

    async def poll(self, max_records: int) -> Sequence[Record]:
        # file reads block: in a thread, so the event loop (and the runner) keeps going
        lines = await asyncio.to_thread(read_lines, self.config.path, self.offset, max_records)
        records: list[Record] = []
        for start, end, line in lines:
            self.offset = end
            self._line_starts[str(end)] = start
            records.append(map_line(line, end, self.config))
        if not records:
            await asyncio.sleep(0.2)
        return records

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            if record.position is not None:
                self._line_starts.pop(record.position.offset, None)

    async def abandon(self, records: Sequence[Record], error: Exception) -> None:
        # not published: read them again from the first one's line
        first = next((r.position for r in records if r.position is not None), None)
        if first is not None and first.offset in self._line_starts:
            self.offset = self._line_starts[first.offset]
