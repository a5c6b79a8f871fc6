"""The patient-state table (a compacted changelog) holds no national id, and forgets in time."""

from __future__ import annotations

import json
from dataclasses import replace

from streams.routing.evaluate import route
from streams.routing.state import PatientState, next_state
from tests.unit.routing.test_route import RULES, facts, world


def key(national_id: str) -> str:
    return "pk-" + national_id[::-1]


def test_the_citizens_a_document_reached_are_stored_by_key_only() -> None:
    view = world()
    result = facts("SVAR_LAB", "400", "300", standard_version="1.4", document_id="doc-1")
    routed = route(result, view, RULES, PatientState(), key)
    assert {g.person for g in routed.grants} >= {"patient-id", "daughter-id"}
    state = next_state(PatientState(), result, RULES, routed, key)
    stored = json.dumps(state.to_data())
    assert "patient-id" not in stored and "daughter-id" not in stored
    assert key("patient-id") in stored


def test_a_change_reaches_the_citizens_by_national_id_while_they_are_entitled() -> None:
    view = world()
    result = facts("SVAR_LAB", "400", "300", standard_version="1.4", document_id="doc-1")
    state = next_state(
        PatientState(), result, RULES, route(result, view, RULES, PatientState(), key), key
    )
    change = replace(result, message_id="m-change", action="M")
    again = route(change, view, RULES, state, key)
    assert {g.person for g in again.grants} >= {"patient-id", "daughter-id"}
    view.put_patient(replace(view.patients["pk1"], proxies=()))  # the proxy right ended
    after = route(change, view, RULES, state, key)
    assert "daughter-id" not in {g.person for g in after.grants}
    assert [r.reason for r in after.refusals] == ["NO_LEGITIMATE_REASON"]
