"""Decisions through the citizen portal: the patient and each relative with proxy rights share
the portal's HER-id, so each grant is told apart by the citizen's pseudonymous key, never by a
national id (the route stage and the journey rows, pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from streams.journey.rows import rows_for
from streams.stages.route import RouteOutcome, derived_id
from tests.unit.routing.test_answers import PATIENT, _event, _route, person_key

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PATIENT_ID = PATIENT.idents[0].id


def lab_result_routed() -> RouteOutcome:
    """A lab result for patient "pk1", who has one proxy ("daughter-id"), routed."""
    event = _event("SVAR_LAB", "400", "300", {})
    event["standard_version"] = "1.4"
    return _route(event)


def _lab_result() -> list[dict[str, Any]]:
    return lab_result_routed().decisions


def test_each_citizen_through_the_portal_is_a_decision_of_its_own() -> None:
    decisions = _lab_result()
    portal = [d for d in decisions if d["party_her_id"] == "902"]
    assert {(d["reason"], d["recipient_key"]) for d in portal} == {
        ("CITIZEN", "pk1"),  # the patient: the event's own patient key
        ("CITIZEN_PROXY", person_key("daughter-id")),
    }
    ids = [d["decision_id"] for d in decisions]
    assert len(set(ids)) == len(ids)


def test_other_decisions_name_no_citizen_and_keep_their_ids() -> None:
    for d in _lab_result():
        if d["party_her_id"] != "902":
            assert d["recipient_key"] is None
            assert d["decision_id"] == derived_id(
                "decision", str(d["event_id"]), str(d["party_her_id"]), str(d["rule_id"])
            )


def test_no_national_id_in_a_decision_or_its_journey_steps() -> None:
    for d in _lab_result():
        rows = rows_for("Decision", d, trace_id=None, written_at=NOW)
        text = json.dumps([d, [r.__repr__() for r in rows]], default=str)
        assert PATIENT_ID not in text and "daughter-id" not in text
        assert [r.recipient_key for r in rows] == [d["recipient_key"]]


def test_each_delivery_carries_its_ids_and_citizen_key_in_headers_never_a_national_id() -> None:
    outcome = lab_result_routed()
    for delivery in outcome.deliveries:
        hs = dict(delivery.headers(outcome.facts))
        assert hs["samflyt.delivery-id"] == str(delivery.record["delivery_id"]).encode()
        assert hs["samflyt.message-id"] == outcome.facts.message_id.encode()
        assert hs["samflyt.recipient-her-id"] == delivery.key.encode()
        assert hs.get("samflyt.recipient-key") == (
            delivery.recipient_key.encode() if delivery.recipient_key else None
        )
        assert PATIENT_ID.encode() not in b"".join(hs.values())
    portal = {d.recipient_key for d in outcome.deliveries if d.key == "902"}
    assert portal == {"pk1", person_key("daughter-id")}


def test_each_citizen_refused_test_traffic_is_a_refusal_of_its_own() -> None:
    """Test traffic never reaches the citizen portal: the patient and the proxy are each
    refused, as two decisions (and two journey steps), not one id written twice."""
    event = _event("SVAR_LAB", "400", "300", {})
    event["standard_version"] = "1.4"
    event["is_test"] = True
    decisions = _route(event).decisions
    portal = [d for d in decisions if d["party_her_id"] == "902"]
    assert {(d["outcome"], d["reason"], d["recipient_key"]) for d in portal} == {
        ("REFUSED", "TEST_TRAFFIC", "pk1"),
        ("REFUSED", "TEST_TRAFFIC", person_key("daughter-id")),
    }
    ids = [d["decision_id"] for d in decisions]
    assert len(set(ids)) == len(ids)
