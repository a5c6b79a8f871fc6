"""Which requests an event opens and which it answers (the route stage, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.canonical import to_canonical
from schemas.model import HeaderFamily, Ident, ParsedMessage, Party, Patient
from schemas.xml import parse_message
from streams.registries.view import RegistryView
from streams.routing.state import PatientState
from streams.stages.route import RouteOutcome, question_key, route_event
from streams.synthetic import build_world, scenario_traffic
from tests.unit.routing.test_route import RULES, world

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PATIENT = Patient(idents=(Ident("13116900216", "FNR"),), family_name="Danser")


def _event(
    msg_type: str, sender: str, receiver: str, body: dict[str, str], **refs: str
) -> dict[str, Any]:
    msg = ParsedMessage(
        family=HeaderFamily.MSGHEAD,
        msg_type=msg_type,
        standard="dialogmelding",
        standard_version="1.0",
        root_namespace="http://www.kith.no/xmlstds/dialog/2006-10-11",
        message_id=f"{msg_type.lower()}-{sender}",
        generated_at=NOW,
        sender=Party(org_her_id=sender),
        receiver=Party(org_her_id=receiver),
        raw=b"<MsgHead/>",
        patient=PATIENT,
        body=body,
        **refs,  # type: ignore[arg-type]
    )
    return to_canonical(msg, patient_key="pk1", received_at=NOW)


def person_key(national_id: str) -> str:
    return f"key-{national_id[::-1]}"  # any function hiding the id: the stage passes it on


def _route(event: dict[str, Any], view: RegistryView | None = None) -> RouteOutcome:
    return route_event(
        event,
        view=view or world(),
        rules=RULES,
        state=PatientState(),
        now=NOW,
        overdue_after=timedelta(hours=96),
        traceparent=None,
        person_key=person_key,
    )


QUESTION = {"dialogue_kind": "foresporsel", "document_ref": "OD1812186729156"}


def test_a_question_is_opened_under_its_id_and_its_question_key() -> None:
    opened = _route(_event("DIALOG_FORESPORSEL", "100", "200", QUESTION)).opened
    assert opened is not None and opened.message_id == "dialog_foresporsel-100"
    assert (
        opened.question_key == question_key("100", "od1812186729156") == "dok:100:od1812186729156"
    )


def test_an_answer_without_a_conversation_ref_answers_the_question_it_quotes() -> None:
    quoting = {"dialogue_kind": "notat", "request_document_ref": "OD1812186729156"}
    outcome = _route(_event("DIALOG_SVAR", "200", "100", quoting))
    assert outcome.answers == ("dok:100:od1812186729156",)
    assert outcome.opened is None


def test_a_conversation_ref_is_what_an_answer_answers_when_it_has_one() -> None:
    quoting = {"dialogue_kind": "notat", "request_document_ref": "OD1812186729156"}
    refs = {"refers_to_parent": "q-1", "conversation_id": "q-1"}
    assert _route(_event("DIALOG_SVAR", "200", "100", quoting, **refs)).answers == ("q-1",)


def test_a_helsefaglig_dialog_that_quotes_a_question_answers_it_and_opens_nothing() -> None:
    quoting = {"dialogue_kind": "notat", "request_document_ref": "OD1"}
    outcome = _route(_event("DIALOG_HELSEFAGLIG", "200", "100", quoting))
    assert outcome.answers == ("dok:100:od1",) and outcome.opened is None
    opening = _route(_event("DIALOG_HELSEFAGLIG", "200", "100", {"dialogue_kind": "notat"}))
    assert opening.opened is not None and opening.opened.question_key is None


def test_no_question_key_without_an_asker_or_a_document_id() -> None:
    assert question_key(None, "OD1") is None
    assert question_key("100", None) is None and question_key("100", "  ") is None


def test_a_synthetic_answer_that_quotes_its_question_is_routed_to_it_from_the_bytes() -> None:
    items = [i for i in scenario_traffic(build_world()) if i.scenario.startswith("16-")]
    question, answer = (parse_message(i.data) for i in items)
    assert b"ConversationRef" not in items[1].data
    assert answer.refers_to_parent is None and answer.conversation_id is None
    events = [to_canonical(m, patient_key="pk1", received_at=NOW) for m in (question, answer)]
    opened = _route(events[0]).opened
    assert opened is not None and opened.message_id == items[0].expected.msg_id.lower()
    assert _route(events[1]).answers == (opened.question_key,)
