"""Pipeline records → journey rows (pure). One record may give several rows; none carries a
national id, a name or content: parties by HER-id, patients by their pseudonymous key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.sdk.headers import MESSAGE_ID, RECIPIENT_HER_ID
from schemas.errors import MessageError
from streams.routing.facts import facts_from_event
from streams.stages.route import asked_question, quoted_question

__all__ = ["JourneyRow", "journey_id_of_dead_letter", "receiver_of_dead_letter", "rows_for"]


@dataclass(frozen=True, slots=True)
class JourneyRow:
    """One step. ``attempt`` None means the first (the record carried no replay provenance)."""

    message_id: str
    step: str
    at: datetime
    stage: str
    msg_type: str | None = None
    sender_her_id: str | None = None
    recipient_her_id: str | None = None
    reason: str | None = None
    conversation_id: str | None = None
    patient_key: str | None = None
    trace_id: str | None = None
    attempt: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # the pseudonymous key of the citizen a step through the citizen portal is for: the patient
    # and each proxy share the portal's HER-id, and each is a step of its own
    recipient_key: str | None = None


def _her(party: dict[str, Any] | None) -> str | None:
    return party.get("her_id") if party else None


def _payload(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    payload = record.get("payload")
    if isinstance(payload, tuple):
        return str(payload[0]), payload[1]
    return "", payload if isinstance(payload, dict) else {}


def _aware(value: datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rows_for(
    name: str, record: dict[str, Any], *, trace_id: str | None, written_at: datetime
) -> list[JourneyRow]:
    """The rows of one record of schema ``name`` (short name), written to Kafka at
    ``written_at`` (the record's timestamp)."""
    mapper = _MAPPERS.get(name.rsplit(".", 1)[-1])
    return mapper(record, trace_id, written_at) if mapper else []


def _question_keys(r: dict[str, Any]) -> dict[str, str]:
    """A question's key and the key an answer without a ConversationRef quotes, as routing
    matches them (:func:`streams.stages.route.question_key`). The store links the two into
    the question's ``answered`` step (:func:`streams.journey.store.link_quoted_answers`),
    whichever was recorded first."""
    attributes = r.get("attributes") or {}
    if "document_ref" not in attributes and "request_document_ref" not in attributes:
        return {}
    facts = facts_from_event(r)
    keys = {"question_key": asked_question(facts, attributes)}
    keys["answers_question"] = quoted_question(facts, attributes)
    return {k: v for k, v in keys.items() if v}


def _event(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    common: dict[str, Any] = {
        "message_id": r["message_id"],
        "msg_type": r["msg_type"],
        "sender_her_id": _her(r.get("sender")),
        "recipient_her_id": _her(r.get("receiver")),
        "conversation_id": r.get("conversation_id"),
        "patient_key": (r.get("patient") or {}).get("patient_key"),
        "trace_id": trace_id,
    }
    received = _aware(r.get("received_at"), written_at)
    sent = r.get("generated_at")
    rows = [
        JourneyRow(
            step="received",
            at=received,
            stage="ingest",
            detail={"sent_at": _aware(sent, received).isoformat()} if sent else {},
            **common,
        ),
        JourneyRow(
            step="validated",
            at=received,  # validation stamps received_at as it accepts the message
            stage="validate",
            detail={"is_test": bool(r.get("is_test")), **_question_keys(r)},
            **common,
        ),
    ]
    parent = r.get("refers_to_parent")
    if parent and parent != r["message_id"]:
        rows.append(
            JourneyRow(
                message_id=parent,
                step="answered",
                at=received,
                stage="route",
                msg_type=None,
                recipient_her_id=_her(r.get("sender")),
                conversation_id=r.get("conversation_id"),
                patient_key=common["patient_key"],
                trace_id=trace_id,
                detail={"answer_message_id": r["message_id"], "answer_msg_type": r["msg_type"]},
            )
        )
    _, payload = _payload(r)
    original = (payload.get("original") or {}) if r["msg_type"] == "APPREC" else {}
    if original.get("message_id") and payload.get("status"):
        rows.append(  # an AppRec from a receiver answers the original message
            JourneyRow(
                message_id=original["message_id"],
                step="receipt",
                at=received,
                stage="receipt",
                msg_type=original.get("msg_type"),
                sender_her_id=_her(r.get("receiver")),
                recipient_her_id=_her(r.get("sender")),
                reason=payload["status"],
                patient_key=common["patient_key"],
                trace_id=trace_id,
                detail={"source": "receiver", "apprec_message_id": r["message_id"]},
            )
        )
    return rows


def _decision(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    granted = r["outcome"] == "GRANTED"
    detail: dict[str, Any] = {"care_level": r.get("care_level"), "rule_id": r.get("rule_id")}
    if granted:
        detail["topic"] = r.get("topic")
    elif r.get("detail"):
        detail["detail"] = r["detail"]
    return [
        JourneyRow(
            message_id=r["message_id"],
            step="routed" if granted else "refused",
            at=_aware(r.get("decided_at"), written_at),
            stage="route",
            msg_type=r.get("msg_type"),
            recipient_her_id=r.get("party_her_id"),
            reason=r.get("reason"),
            patient_key=r.get("patient_key"),
            trace_id=trace_id,
            detail=detail,
            recipient_key=r.get("recipient_key"),
        )
    ]


def _delivered(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    """A sink wrote a routed delivery (several sinks or lanes writing one delivery: one step)."""
    if not r.get("message_id"):
        return []
    return [
        JourneyRow(
            message_id=r["message_id"],
            step="delivered",
            at=_aware(r.get("delivered_at"), written_at),
            stage="sink",
            msg_type=r.get("msg_type"),
            recipient_her_id=r.get("recipient_her_id"),
            patient_key=r.get("patient_key"),
            trace_id=trace_id,
            detail={
                "connector": r.get("connector"),
                "lane": r.get("lane"),
                "delivery_id": r.get("delivery_id"),
            },
            recipient_key=r.get("recipient_key"),
        )
    ]


def _receipt(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    info = r["info"]
    original = info.get("original") or {}
    if not original.get("message_id"):
        return []
    return [
        JourneyRow(
            message_id=original["message_id"],
            step="receipt",
            at=_aware(r.get("generated_at"), written_at),
            stage="receipt",
            msg_type=original.get("msg_type"),
            # as for the message: its sender, and the recipient who acknowledges it
            sender_her_id=_her(r.get("receiver")),
            recipient_her_id=_her(r.get("sender")),
            reason=info.get("status"),
            patient_key=r.get("patient_key"),
            trace_id=trace_id,
            detail={
                "source": "samflyt",
                "errors": [e.get("code") for e in info.get("errors") or []],
                "role": r.get("sender_role"),
            },
        )
    ]


def journey_id_of_dead_letter(r: dict[str, Any]) -> str:
    """The message id a dead letter's journey is filed under: the parsed id, else the id the
    connector stamped on the record, else (and when the id itself was invalid, so not unique)
    the dead letter's own id."""
    if r.get("reason") == "INVALID_MESSAGE_ID":
        return f"deadletter:{r['dead_letter_id']}"
    if r.get("message_id"):
        return str(r["message_id"])
    for header in (r.get("origin") or {}).get("headers") or ():
        if header.get("key") == MESSAGE_ID and header.get("value"):
            return bytes(header["value"]).decode("utf-8", errors="replace").strip().lower()
    return f"deadletter:{r['dead_letter_id']}"


def receiver_of_dead_letter(r: dict[str, Any]) -> str | None:
    """Whom a dead letter was addressed to: the connector's ``samflyt.recipient-her-id``
    header, else the receiver of the original's envelope when it can be read (a message a
    business rule refused, e.g. for an unknown receiver, can); None for unreadable input."""
    for header in (r.get("origin") or {}).get("headers") or ():
        if header.get("key") == RECIPIENT_HER_ID and header.get("value"):
            return bytes(header["value"]).decode("utf-8", errors="replace")
    from schemas.xml import parse_message

    try:
        return parse_message(bytes(r.get("original") or b"")).receiver.her_id
    except MessageError:
        return None


def _dead_letter(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    message_id = journey_id_of_dead_letter(r)
    failed = _aware(r.get("failed_at"), written_at)
    common: dict[str, Any] = {
        "message_id": message_id,
        "msg_type": r.get("msg_type"),
        "sender_her_id": r.get("sender_her_id"),
        "recipient_her_id": receiver_of_dead_letter(r),
        "trace_id": trace_id,
    }
    rows = []
    if r.get("stage") == "VALIDATE":  # never accepted: its reception is only known from here
        origin_ts = (r.get("origin") or {}).get("timestamp")
        rows.append(
            JourneyRow(
                step="received",
                at=_aware(origin_ts, failed),
                stage="ingest",
                detail={"topic": (r.get("origin") or {}).get("topic")},
                **common,
            )
        )
    rows.append(
        JourneyRow(
            step="deadlettered",
            at=failed,
            stage=str(r.get("stage", "OTHER")).lower(),
            reason=r.get("reason"),
            detail={
                "dead_letter_id": str(r["dead_letter_id"]),
                "reason_code": r.get("reason_code"),
                "detail": r.get("detail"),
            },
            **common,
        )
    )
    return rows


def _overdue(r: dict[str, Any], trace_id: str | None, written_at: datetime) -> list[JourneyRow]:
    deadline = r.get("deadline")
    return [
        JourneyRow(
            message_id=r["request_message_id"],
            step="overdue",
            at=_aware(r.get("raised_at"), written_at),
            stage="overdue",
            msg_type=r.get("request_msg_type"),
            sender_her_id=_her(r.get("sender")),
            recipient_her_id=_her(r.get("awaited_from")),
            conversation_id=r.get("conversation_id"),
            patient_key=r.get("patient_key"),
            trace_id=trace_id,
            detail={"deadline": deadline.isoformat()} if deadline else {},
        )
    ]


_MAPPERS = {
    "CanonicalEvent": _event,
    "Decision": _decision,
    "Receipt": _receipt,
    "DeadLetter": _dead_letter,
    "Overdue": _overdue,
    "DeliveryConfirmation": _delivered,
}
