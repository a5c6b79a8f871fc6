"""Stages 2-4 and the overdue watch as pure functions: enrich a canonical event from the
registry view, route it by the rules, fan it out as one delivery per recipient, record every
decision, and track requests that await an answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.sdk import headers as h
from streams.registries.view import RegistryView
from streams.routing.evaluate import Grant, Refusal, Routing, route
from streams.routing.facts import RoutingFacts, facts_from_event
from streams.routing.rules import RuleSet
from streams.routing.state import PatientState, next_state

_NS = uuid.UUID("5a3f1e7c-2b8d-4c61-9e0a-7d4b2c1f0a11")  # namespace of samflyt's derived ids
_LEVEL = {
    "municipal": "MUNICIPAL",
    "gp": "GP",
    "specialist": "SPECIALIST",
    "national": "NATIONAL",
    "citizen": "CITIZEN",
    "test": "TEST",
}
EVENT = "no.samflyt.event.CanonicalEvent"
OVERDUE = "no.samflyt.overdue.Overdue"
RECEIPT = "no.samflyt.receipt.Receipt"


def derived_id(*parts: str) -> uuid.UUID:
    """A deterministic id: the same inputs give the same id, so replays are recognisable."""
    return uuid.uuid5(_NS, "\x1f".join(parts))


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """A request awaiting an answer until ``deadline``."""

    message_id: str
    msg_type: str
    conversation_id: str | None
    requested_at: datetime
    deadline: datetime
    sender: dict[str, Any]
    awaited_from: dict[str, Any]
    patient_key: str | None
    is_test: bool
    traceparent: str | None
    question_key: str | None = None  # how an answer with no ConversationRef finds it


def question_key(asker_her_id: str | None, document_ref: str | None) -> str | None:
    """The key an answer without a ConversationRef finds its question by: the question's
    ``DokIdForesp``, which a Dialogmelding answer quotes, scoped by who asked (document ids are
    the asker's own). GP systems answering NAV's questions write no ConversationRef (NAV's
    padm2 samples), and their answers would otherwise leave the question to fall overdue."""
    if not asker_her_id or not document_ref or not document_ref.strip():
        return None
    return f"dok:{asker_her_id}:{document_ref.strip().lower()}"


def asked_question(facts: RoutingFacts, attributes: dict[str, Any]) -> str | None:
    """The question key a Dialogmelding question can be answered under (see question_key)."""
    if attributes.get("dialogue_kind") != "foresporsel":
        return None
    return question_key(facts.sender_her_id, attributes.get("document_ref"))


def quoted_question(facts: RoutingFacts, attributes: dict[str, Any]) -> str | None:
    """The question key an answer with no ConversationRef quotes, if it quotes one."""
    if facts.refers_to_parent or facts.conversation_id:
        return None
    return question_key(facts.receiver_her_id, attributes.get("request_document_ref"))


@dataclass(frozen=True, slots=True)
class Delivery:
    topic: str  # catalogue name
    key: str  # recipient address
    record: dict[str, Any]
    recipient_key: str | None = None  # the citizen a portal delivery is for, pseudonymised

    def headers(self, facts: RoutingFacts) -> list[tuple[str, bytes]]:
        """The ids a sink's confirmation of this delivery carries back to the journey
        (:mod:`connectors.sink_runner`), readable without decoding: ids and pseudonyms only."""
        out = [
            (h.DELIVERY_ID, str(self.record["delivery_id"]).encode()),
            (h.MESSAGE_ID, facts.message_id.encode()),
            (h.MESSAGE_TYPE, facts.msg_type.encode()),
            (h.RECIPIENT_HER_ID, self.record["recipient_her_id"].encode()),
        ]
        if self.recipient_key:
            out.append((h.RECIPIENT_KEY, self.recipient_key.encode()))
        if facts.patient_key:
            out.append((h.PATIENT_KEY, facts.patient_key.encode()))
        return out


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    facts: RoutingFacts
    routing: Routing
    deliveries: list[Delivery]
    decisions: list[dict[str, Any]]
    state: PatientState
    opened: OpenRequest | None = None
    # ids of requests this event may answer, or the question key it quotes (see question_key)
    answers: tuple[str, ...] = field(default=())


def route_event(
    event: dict[str, Any],
    *,
    view: RegistryView,
    rules: RuleSet,
    state: PatientState,
    now: datetime,
    overdue_after: timedelta,
    traceparent: str | None,
    person_key: Callable[[str], str],
) -> RouteOutcome:
    """``person_key`` pseudonymises a citizen a portal grant is for (the deployment's patient
    key): each such grant is its own decision, and the record names the citizen by the key."""
    facts = facts_from_event(event)
    routing = route(facts, view, rules, state, person_key)
    trace = {"traceparent": traceparent, "tracestate": None}
    deliveries: list[Delivery] = []
    decisions: list[dict[str, Any]] = []
    for g in routing.grants:
        citizen = _citizen_key(facts, g, person_key)
        record = delivery_record(event["event_id"], g, (EVENT, event), now, trace)
        deliveries.append(Delivery(g.topic, g.her_id, record, citizen))
        decisions.append(decision_record(facts, g, now, rules.version, trace, citizen))
    decisions += [
        decision_record(facts, r, now, rules.version, trace, _citizen_key(facts, r, person_key))
        for r in routing.refusals
    ]
    attributes = event.get("attributes") or {}
    # RefToParent and RefToConversation are often the same id: one answer, not two
    refs = tuple(dict.fromkeys(x for x in (facts.refers_to_parent, facts.conversation_id) if x))
    quoted = quoted_question(facts, attributes)  # its question's document id, when no refs
    starts = not refs and quoted is None
    expectation = rules.expectation_for(facts.msg_type, starts)
    opened = None
    if expectation is not None and facts.action == "N":
        asked = asked_question(facts, attributes)
        opened = OpenRequest(
            facts.message_id,
            facts.msg_type,
            facts.conversation_id,
            event["generated_at"],
            now + overdue_after,
            event["sender"],
            event["receiver"],
            facts.patient_key,
            facts.is_test,
            traceparent,
            asked,
        )
    answers: tuple[str, ...] = ()
    if rules.answers(facts.msg_type):
        answers = refs or ((quoted,) if quoted else ())
    return RouteOutcome(
        facts,
        routing,
        deliveries,
        decisions,
        next_state(state, facts, rules, routing, person_key),
        opened,
        answers,
    )


def delivery_record(
    content_id: Any,
    grant: Grant,
    content: tuple[str, dict[str, Any]],
    now: datetime,
    trace: dict[str, Any],
) -> dict[str, Any]:
    return {
        "delivery_id": derived_id("delivery", str(content_id), grant.her_id, grant.person or ""),
        "decided_at": now,
        "recipient_her_id": grant.her_id,
        "recipient_name": grant.name,
        "recipient_person": grant.person,
        "care_level": _LEVEL.get(grant.care_level, "OTHER"),
        "reason": grant.reason,
        "rule_id": grant.rule_id,
        "priority": grant.priority,
        "trace": trace,
        "content": content,
    }


def _citizen_key(
    facts: RoutingFacts, outcome: Grant | Refusal, person_key: Callable[[str], str]
) -> str | None:
    """The pseudonymous key of the citizen a portal grant (or its refusal) is for; None for
    any other decision."""
    if outcome.person is None:
        return None
    if outcome.person == facts.national_id and facts.patient_key:
        return facts.patient_key
    return person_key(outcome.person)


def decision_record(
    facts: RoutingFacts,
    outcome: Grant | Refusal,
    now: datetime,
    version: str,
    trace: dict[str, Any],
    recipient_key: str | None = None,
) -> dict[str, Any]:
    """One decision. The patient and each proxy reached through the citizen portal share the
    portal's HER-id, so ``recipient_key`` (the citizen's pseudonym) keeps their decisions, and
    their journey steps, apart."""
    granted = isinstance(outcome, Grant)
    id_parts = [facts.event_id, outcome.her_id, outcome.rule_id]
    if recipient_key:  # ids of decisions for no citizen stay as they were
        id_parts.append(recipient_key)
    return {
        "decision_id": derived_id("decision", *id_parts),
        "decided_at": now,
        "event_id": facts.event_id,
        "message_id": facts.message_id,
        "msg_type": facts.msg_type,
        "patient_key": facts.patient_key,
        "party_her_id": outcome.her_id,
        "party_name": outcome.name,
        "care_level": _LEVEL.get(outcome.care_level, "OTHER"),
        "outcome": "GRANTED" if granted else "REFUSED",
        "reason": outcome.reason,
        "detail": None if isinstance(outcome, Grant) else outcome.detail,
        "rule_id": outcome.rule_id,
        "rule_set_version": version,
        "topic": outcome.topic if isinstance(outcome, Grant) else None,
        "is_test": facts.is_test,
        "trace": trace,
        "recipient_key": recipient_key,
    }


def overdue_record(request: OpenRequest, now: datetime) -> dict[str, Any]:
    return {
        "overdue_id": derived_id("overdue", request.message_id),
        "raised_at": now,
        "deadline": request.deadline,
        "request_message_id": request.message_id,
        "request_msg_type": request.msg_type,
        "requested_at": request.requested_at,
        "conversation_id": request.conversation_id,
        "sender": request.sender,
        "awaited_from": request.awaited_from,
        "patient_key": request.patient_key,
        "is_test": request.is_test,
        "trace": {"traceparent": request.traceparent, "tracestate": None},
    }

