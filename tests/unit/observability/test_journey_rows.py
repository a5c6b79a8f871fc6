"""Journey rows from pipeline records: steps, recipients and reasons, no personal data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.sdk.headers import MESSAGE_ID
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import default_codec
from streams.journey.collect import decode_record
from streams.journey.provenance import ATTEMPT, REPLAY_OF, attempt_of, provenance
from streams.journey.rows import journey_id_of_dead_letter, rows_for
from tests.unit.avro.samples import DOMAIN_MESSAGES, canonical_event

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _event(**extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "message_id": "m-1",
        "msg_type": "DIALOG_HELSEFAGLIG",
        "generated_at": T0 - timedelta(minutes=5),
        "received_at": T0,
        "sender": {"her_id": "100", "name": "Hjemmetjenesten"},
        "receiver": {"her_id": "200", "name": "Legekontoret"},
        "conversation_id": None,
        "refers_to_parent": None,
        "patient": {"patient_key": "k" * 64, "national_id": "01015000232", "family_name": "X"},
        "is_test": False,
        "payload": ("no.samflyt.dialogue.Dialogue", {"text": "secret"}),
    }
    event.update(extra)
    return event


def test_an_accepted_message_is_received_and_validated_without_personal_data() -> None:
    rows = rows_for("no.samflyt.event.CanonicalEvent", _event(), trace_id="t" * 32, written_at=T0)
    assert [r.step for r in rows] == ["received", "validated"]
    assert rows[0].detail == {"sent_at": (T0 - timedelta(minutes=5)).isoformat()}
    assert {r.patient_key for r in rows} == {"k" * 64}
    text = repr(rows)
    assert "01015000232" not in text and "secret" not in text and "Legekontoret" not in text


def test_an_answer_marks_its_request_answered_and_an_apprec_is_a_receipt_of_the_original() -> None:
    answer = rows_for(
        "CanonicalEvent",
        _event(message_id="m-2", refers_to_parent="m-1"),
        trace_id=None,
        written_at=T0,
    )
    assert ("m-1", "answered", "100") in {
        (r.message_id, r.step, r.recipient_her_id) for r in answer
    }
    apprec = _event(
        message_id="a-1",
        msg_type="APPREC",
        sender={"her_id": "200"},
        receiver={"her_id": "100"},
        payload=("AppRecInfo", {"status": "OK", "original": {"message_id": "m-1"}}),
    )
    rows = rows_for("CanonicalEvent", apprec, trace_id=None, written_at=T0)
    receipt = next(r for r in rows if r.step == "receipt")
    assert (receipt.message_id, receipt.reason, receipt.recipient_her_id) == ("m-1", "OK", "200")


def test_decisions_become_routed_and_refused_steps_with_reasons() -> None:
    base = {
        "message_id": "m-1",
        "msg_type": "SVAR_LAB",
        "patient_key": None,
        "decided_at": T0,
        "care_level": "GP",
        "rule_id": "r1",
    }
    granted = rows_for(
        "Decision",
        {
            **base,
            "outcome": "GRANTED",
            "party_her_id": "300",
            "reason": "PATIENTS_GP",
            "topic": "delivery.gp",
        },
        trace_id=None,
        written_at=T0,
    )
    refused = rows_for(
        "Decision",
        {
            **base,
            "outcome": "REFUSED",
            "party_her_id": "400",
            "reason": "WITHHELD_FROM_CITIZEN",
            "detail": "HIST",
        },
        trace_id=None,
        written_at=T0,
    )
    assert (granted[0].step, granted[0].recipient_her_id, granted[0].reason) == (
        "routed",
        "300",
        "PATIENTS_GP",
    )
    assert (refused[0].step, refused[0].detail["detail"]) == ("refused", "HIST")


def test_a_dead_letter_without_a_parsed_id_is_filed_under_the_connector_message_id() -> None:
    dead = {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": T0,
        "stage": "VALIDATE",
        "reason": "MALFORMED",
        "reason_code": "T01",
        "detail": "not XML",
        "message_id": None,
        "msg_type": None,
        "sender_her_id": None,
        "origin": {
            "topic": "raw.epj",
            "timestamp": T0,
            "headers": [{"key": MESSAGE_ID, "value": b"ABC-1"}],
        },
    }
    assert journey_id_of_dead_letter(dead) == "abc-1"
    rows = rows_for("DeadLetter", dead, trace_id=None, written_at=T0)
    assert [(r.step, r.reason) for r in rows] == [("received", None), ("deadlettered", "MALFORMED")]
    dead.update(message_id="FiktivTestdata0001", reason="INVALID_MESSAGE_ID")
    assert journey_id_of_dead_letter(dead).startswith("deadletter:")  # an invalid id is no name
    dead["origin"] = {"headers": []}
    assert journey_id_of_dead_letter(dead).startswith("deadletter:")


def test_provenance_headers_carry_the_attempt() -> None:
    headers = [("traceparent", b"x"), (REPLAY_OF, b"id"), (ATTEMPT, b"2")]
    assert provenance(headers) == [(REPLAY_OF, b"id"), (ATTEMPT, b"2")]
    assert attempt_of(headers) == 2
    assert attempt_of([(ATTEMPT, b"two")]) is None
    assert attempt_of(None) is None


@pytest.mark.parametrize(("label", "msg"), DOMAIN_MESSAGES, ids=[m[0] for m in DOMAIN_MESSAGES])
def test_the_journey_reads_the_same_rows_from_an_events_envelope(label: str, msg: Any) -> None:
    codec = default_codec()
    data = codec.encode(CANONICAL_EVENT, canonical_event(msg))
    name, record = decode_record(codec, data, True)
    assert ("payload" in record) == (msg.msg_type == "APPREC")  # an AppRec's receipt row reads it
    expected = rows_for(*codec.decode(data), trace_id=None, written_at=T0)
    assert rows_for(name, record, trace_id=None, written_at=T0) == expected
    assert expected  # received and validated at least
