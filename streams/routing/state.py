"""Per-patient routing state that events change: care relationships started or ended by
admissions and discharges, and who received each document (so a change or cancel reaches exactly
them). Held in a Faust table keyed by the pseudonymous patient key; pure transitions here.

The table's changelog is a compacted topic that keeps each value until it is replaced, so it
holds no national id: a citizen a document reached (the patient, or a relative with proxy
rights) is remembered by the pseudonymous key (:func:`pseudonymous`), and found again among the
patient's current citizens when a change or cancel follows (:func:`streams.routing.evaluate.route`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from streams.registries.view import PatientContext, Relationship

if TYPE_CHECKING:
    from streams.routing.evaluate import Grant, Routing
    from streams.routing.facts import RoutingFacts
    from streams.routing.rules import RuleSet

# Documents remembered per patient, newest last; a change or cancel of an older one is routed as
# a new message would be. The whole state is one table value, rewritten to the changelog on
# every event of the patient, so the bound is also the bound on that write (~25 KB).
MAX_DOCUMENTS = 100


class DocumentRecipients(Mapping[str, "tuple[Grant, ...]"]):
    """Who received each remembered document, kept in the table's JSON form and read one
    document at a time: an event looks up at most one document, and reading every remembered
    document into grants on every event of the patient cost more than routing it."""

    __slots__ = ("raw",)

    def __init__(self, raw: Mapping[str, list[list[Any]]] | None = None) -> None:
        self.raw: dict[str, list[list[Any]]] = dict(raw or {})

    def __getitem__(self, key: str) -> tuple[Grant, ...]:
        return tuple(_grant_from_list(g) for g in self.raw[key])

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DocumentRecipients):
            return self.raw == other.raw
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DocumentRecipients({len(self.raw)} documents)"

    def updated(
        self, action: str, document_key: str, grants: tuple[Grant, ...]
    ) -> DocumentRecipients:
        """After an event: a new document remembers its grants (the oldest is forgotten past
        :data:`MAX_DOCUMENTS`), a cancel forgets its document; ``self`` when nothing changed."""
        if action == "N" and grants:
            entry = [_grant_to_list(g) for g in grants]
            if self.raw.get(document_key) == entry:
                return self
            raw = dict(self.raw)
            raw[document_key] = entry
            while len(raw) > MAX_DOCUMENTS:
                del raw[next(iter(raw))]
        elif action == "C" and document_key in self.raw:
            raw = dict(self.raw)
            del raw[document_key]
        else:
            return self
        return DocumentRecipients(raw)


@dataclass(frozen=True)
class PatientState:
    started: dict[str, Relationship] = field(default_factory=dict)
    ended: frozenset[str] = frozenset()
    document_recipients: DocumentRecipients = field(default_factory=DocumentRecipients)

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
            "docs": self.document_recipients.raw,
        }

    @classmethod
    def from_data(cls, raw: dict[str, Any] | None) -> PatientState:
        if not raw:
            return cls()
        return cls(
            started={k: Relationship(k, v[0], v[1]) for k, v in raw.get("started", {}).items()},
            ended=frozenset(raw.get("ended", ())),
            document_recipients=DocumentRecipients(raw.get("docs")),
        )


def _grant_to_list(g: Grant) -> list[str | None]:
    return [g.her_id, g.name, g.care_level, g.topic, g.reason, g.rule_id, g.priority, g.person]


def _grant_from_list(v: list[Any]) -> Grant:
    from streams.routing.evaluate import Grant

    return Grant(*v)


def pseudonymous(
    grants: tuple[Grant, ...], person_key: Callable[[str], str]
) -> tuple[Grant, ...]:
    """``grants`` with each citizen's national id replaced by its pseudonymous key."""
    return tuple(
        replace(g, person=person_key(g.person)) if g.person is not None else g for g in grants
    )


def next_state(
    state: PatientState,
    facts: RoutingFacts,
    rules: RuleSet,
    routing: Routing,
    person_key: Callable[[str], str],
) -> PatientState:
    """Pure: the patient's state after this event was routed (citizens by key only)."""
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
    grants = pseudonymous(routing.grants, person_key)
    docs = state.document_recipients.updated(facts.action, facts.document_key, grants)
    if started == state.started and ended == state.ended and docs is state.document_recipients:
        return state
    return replace(state, started=started, ended=frozenset(ended), document_recipients=docs)


def _side(facts: RoutingFacts, side: str) -> str | None:
    return facts.receiver_her_id if side == "receiver" else facts.sender_her_id
