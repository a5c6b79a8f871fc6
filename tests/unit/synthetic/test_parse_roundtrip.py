"""Every generated message parses with the real parser, and the envelope round-trips."""

from __future__ import annotations

import pytest

from schemas.xml import parse_message
from streams.synthetic import build_world, scenario_traffic, traffic


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_messages_parse_and_round_trip(seed: int) -> None:
    world = build_world(seed, "small")
    items = list(scenario_traffic(world, seed)) + list(traffic(world, seed, 150))
    for item in items:
        e = item.expected
        if e.dead_letter == "malformed_xml":
            continue
        parsed = parse_message(item.data)
        assert parsed.msg_type == e.msg_type
        if e.dead_letter != "invalid_message_id":
            assert parsed.message_id == e.msg_id
        sender = world.party(e.sender_her_id)
        assert e.sender_her_id in (
            parsed.sender.her_id,
            getattr(parsed.sender.person, "her_id", None),
        ), sender
        assert parsed.patient is not None
        assert parsed.patient.national_id is not None and len(parsed.patient.national_id) == 11
        assert parsed.is_test == e.test
        if e.dead_letter is None:
            patient_ids = {p.national_id for p in world.patients}
            assert parsed.patient.national_id in patient_ids
            if e.action != "N":
                assert parsed.action.value == e.action
