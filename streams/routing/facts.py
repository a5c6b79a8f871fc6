"""The facts routing decides on, read once from a canonical event (a decoded Avro record)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    """What routing needs from one event; no personal data beyond the pseudonymous key."""

    event_id: str
    message_id: str
    msg_type: str
    standard: str
    standard_version: str
    sender_her_id: str | None
    receiver_her_id: str | None
    copy_her_ids: tuple[str, ...]
    patient_key: str | None
    national_id: str | None  # personal data: for citizen addressing only, never logged
    action: str  # N, M, C or A (addendum)
    document_id: str | None
    conversation_id: str | None
    refers_to_parent: str | None
    is_test: bool
    priority: str | None
    category: str | None  # result category (MsgDescr) for result reports
    attributes: Mapping[str, str]

    @property
    def document_key(self) -> str:
        """The id that changes and cancels of this document share (STANDARDS.md §4), scoped by
        its sender: document ids are the sender's own, so another sender's document with the
        same id is another document (it must neither take nor change this one's recipients)."""
        document = self.document_id or self.conversation_id or self.message_id
        return f"{self.sender_her_id or ''}|{document}"


def _her(party: Mapping[str, Any] | None) -> str | None:
    if not party:
        return None
    her = party.get("her_id") or party.get("unit_her_id") or party.get("org_her_id")
    return str(her) if her else None


_ACTION_CODES = {"NEW": "N", "CHANGE": "M", "CANCEL": "C", "ADDENDUM": "A"}


def facts_from_event(event: Mapping[str, Any]) -> RoutingFacts:
    """Pure: the routing facts of a decoded ``CanonicalEvent``."""
    payload = event.get("payload") or {}
    attributes: Mapping[str, str] = event.get("attributes") or {}
    patient = event.get("patient") or {}
    action = event.get("action") or "NEW"
    category = payload.get("category") if isinstance(payload, Mapping) else None
    copies = tuple(h for h in (_her(p) for p in event.get("copy_receivers") or ()) if h)
    return RoutingFacts(
        event_id=str(event["event_id"]),
        message_id=str(event["message_id"]),
        msg_type=str(event["msg_type"]),
        standard=str(event.get("standard") or ""),
        standard_version=str(event.get("standard_version") or ""),
        sender_her_id=_her(event.get("sender")),
        receiver_her_id=_her(event.get("receiver")),
        copy_her_ids=copies,
        patient_key=patient.get("patient_key"),
        national_id=patient.get("national_id"),
        action=_ACTION_CODES.get(str(action), str(action)),
        document_id=event.get("document_id"),
        conversation_id=event.get("conversation_id"),
        refers_to_parent=event.get("refers_to_parent"),
        is_test=bool(event.get("is_test")),
        priority=event.get("priority"),
        category=category or attributes.get("result_category") or attributes.get("category"),
        attributes=attributes,
    )
