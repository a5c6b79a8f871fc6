"""The example connector through samflyt's conformance suite, loaded through its entry point,
and its pure mapping: a JSON alarm becomes a message samflyt's parser reads."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, ClassVar

from samflyt_connector_example import AlarmConfig, map_line

from connectors import registry
from connectors.sdk.testing import SourceConformance
from schemas.xml import parse_message

# a fictitious resident (a synthetic test person number: valid check digits, no real birth date)
RESIDENT = {"national_id": "23905724401", "family_name": "Berge", "given_name": "Turid"}


def alarm_line(kind: str = "fall") -> str:
    alarm = {"id": str(uuid.uuid4()), "kind": kind, "time": "2026-12-08T07:46:41",
             "resident": RESIDENT, "location": "Myrveien 94"}
    return json.dumps(alarm) + "\n"


class TestWelfareAlarms(SourceConformance):
    connector_class: ClassVar[Any] = registry.load("welfare-alarms")
    invalid_settings = frozenset({"topic", "service_her_id", "sender_her_id"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "samflyt.raw.welfare", "path": str(tmp_path / "alarms.jsonl"),
                "sender_her_id": "6501000", "sender_name": "Tromsø kommune",
                "service_her_id": "6501010", "service_name": "Hjemmesykepleien sone Indre"}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"path": str(tmp_path), "sender_her_id": "x", "sender_name": "Tromsø kommune",
                "service_her_id": "not-a-her-id", "service_name": "Hjemmesykepleien"}

    async def add_input(self, source: Any, count: int) -> None:
        await asyncio.to_thread(append_alarms, source.config.path, count)


def append_alarms(path: Path, count: int) -> None:
    """As the alarm central does: whole lines appended to the export."""
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(alarm_line() for _ in range(count))

CONFIG = AlarmConfig.model_validate(
    {"topic": "samflyt.raw.welfare", "path": str(Path("alarms.jsonl")),
     "sender_her_id": "6501000", "sender_name": "Tromsø & Omegn kommune",
     "service_her_id": "6501010", "service_name": "Hjemmesykepleien"}
)


def test_an_alarm_is_published_as_a_welfare_alarm_message_from_the_municipality() -> None:
    record = map_line(alarm_line("stove").encode(), 10, CONFIG)
    assert record.error is None
    parsed = parse_message(record.value)
    assert parsed.msg_type == "SAMFLYT_ALARM"
    assert parsed.message_id == record.message_id
    assert parsed.sender.org_her_id == "6501000" and parsed.receiver.her_id == "6501010"
    assert record.key == b"6501000"
    assert parsed.patient is not None and parsed.patient.national_id == RESIDENT["national_id"]


def test_the_same_alarm_read_again_has_the_same_message_id() -> None:
    line = alarm_line().encode()
    assert map_line(line, 1, CONFIG).message_id == map_line(line, 1, CONFIG).message_id


def test_a_line_that_is_not_an_alarm_is_rejected_with_its_reason() -> None:
    record = map_line(json.dumps({"id": "1"}).encode(), 5, CONFIG)
    assert record.error is not None and record.error.code == "bad-alarm"
