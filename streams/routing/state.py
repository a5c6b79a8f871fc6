"""Per-patient routing state that events change: care relationships started or ended by
admissions and discharges, and who received each document (so a change or cancel reaches exactly
them). Held in a Faust table keyed by the pseudonymous patient key; pure transitions here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from streams.registries.view import PatientContext, Relationship

if TYPE_CHECKING:
    from streams.routing.evaluate import Grant, Routing
    from streams.routing.facts import RoutingFacts
    from streams.routing.rules import RuleSet

MAX_DOCUMENTS = 500  # remembered per patient; older documents fall back to normal routing


@dataclass(frozen=True)
class PatientState:
    started: dict[str, Relationship] = field(default_factory=dict)
    ended: frozenset[str] = frozenset()
    document_recipients: dict[str, tuple[Grant, ...]] = field(default_factory=dict)

    def active_relationships(self, patient: PatientContext | None) -> tuple[Relationship, ...]:
        """The registry's relationships, minus those events ended, plus those events started."""
        registered = [
            r
            for r in (patient.relationships if patient else ())
            if r.her_id not in self.ended and r.her_id not in self.started
        ]
        return (*registered, *self.started.values())

    def to_data(self) -> dict[str, Any]:
        """A JSON-compatible value: Faust tables store it with their JSON codec, so what is
        recovered from the changelog after a restart or rebalance equals what was written."""
        return {
            "started": {k: [v.kind, v.reason] for k, v in self.started.items()},
            "ended": sorted(self.ended),
            "docs": {
                k: [_grant_to_list(g) for g in v] for k, v in self.document_recipients.items()
            },
        }

    @classmethod
    def from_data(cls, raw: dict[str, Any] | None) -> PatientState:
        if not raw:
            return cls()
        return cls(
            started={k: Relationship(k, v[0], v[1]) for k, v in raw.get("started", {}).items()},
            ended=frozenset(raw.get("ended", ())),
            document_recipients={
                k: tuple(_grant_from_list(g) for g in v) for k, v in raw.get("docs", {}).items()
            },
        )


def _grant_to_list(g: Grant) -> list[str | None]:
    return [g.her_id, g.name, g.care_level, g.topic, g.reason, g.rule_id, g.priority, g.person]


def _grant_from_list(v: list[Any]) -> Grant:
    from streams.routing.evaluate import Grant

    return Grant(*v)


def next_state(
    state: PatientState, facts: RoutingFacts, rules: RuleSet, routing: Routing
) -> PatientState:
    """Pure: the patient's state after this event was routed."""
    started = dict(state.started)
    ended = set(state.ended)
    for effect in rules.effects:
        if facts.msg_type not in effect.types:
            continue
        if effect.start_relationship:
            her = _side(facts, effect.start_relationship)
            if her:
                started[her] = Relationship(her, effect.kind, facts.msg_type.lower())
                ended.discard(her)
        if effect.end_relationship:
            her = _side(facts, effect.end_relationship)
            if her:
                started.pop(her, None)
                ended.add(her)
    docs = dict(state.document_recipients)
    if facts.action == "N" and routing.grants:
        docs[facts.document_key] = routing.grants
        while len(docs) > MAX_DOCUMENTS:
            docs.pop(next(iter(docs)))
    elif facts.action == "C":
        docs.pop(facts.document_key, None)
    if started == state.started and ended == state.ended and docs == state.document_recipients:
        return state
    return replace(state, started=started, ended=frozenset(ended), document_recipients=docs)


def _side(facts: RoutingFacts, side: str) -> str | None:
    return facts.receiver_her_id if side == "receiver" else facts.sender_her_id
