"""Stage 1, validate and normalise: raw bytes → a canonical event, or a dead letter; either way
the receipts (AppRecs) the sender is owed. Pure: no I/O, the registry is an in-memory view.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.canonical import to_canonical
from schemas.errors import MessageError
from schemas.model import ParsedMessage, Party
from schemas.xml import ParseLimits, parse_message
from schemas.xml.apprec import AppRecStatus
from schemas.xml.identifiers import mask
from schemas.xml.rules import check_business_rules
from streams.bindings import SenderBindings
from streams.registries.records import CareLevel, PartyKind
from streams.registries.view import RegistryView
from streams.stages.receipts import receipt_records

REASON_OF_CODE = {
    "T01": "MALFORMED", "T99": "MALFORMED", "T02": "SCHEMA_INVALID",
    "T10": "UNSUPPORTED_FORMAT", "E10": "INVALID_MESSAGE_ID", "E21": "UNKNOWN_RECEIVER",
    "E30": "INVALID_PATIENT", "E31": "INVALID_PATIENT", "E32": "INVALID_PATIENT",
    "E35": "INVALID_PATIENT", "E36": "INVALID_PATIENT", "E53": "INVALID_PATIENT",
}  # fmt: skip


class ReceiverCannotAccept(MessageError):
    """The receiver exists but does not take this message type or version (AppRec T10)."""

    code = "T10"


class SenderNotBound(MessageError):
    """The sender is not one the raw topic's connector may speak for: possibly forged, so it is
    dead-lettered and nobody gets an AppRec (never the claimed sender)."""

    code = "X99"


@dataclass(frozen=True, slots=True)
class Origin:
    topic: str
    partition: int
    offset: int
    timestamp: datetime | None
    key: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Accepted:
    parsed: ParsedMessage
    event: dict[str, Any]
    patient_key: str | None
    receipts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejected:
    error: MessageError
    dead_letter: dict[str, Any]
    parsed: ParsedMessage | None
    receipts: list[dict[str, Any]] = field(default_factory=list)


def validate(
    raw: bytes,
    *,
    origin: Origin,
    registry: RegistryView,
    patient_key: Any,
    limits: ParseLimits | None = None,
    reject_unknown_receiver: bool = True,
    test_environment: bool = False,
    traceparent: str | None = None,
    received_at: datetime | None = None,
    bindings: SenderBindings | None = None,
) -> Accepted | Rejected:
    """Parse, check the sender against the raw topic's binding, the AppRec business rules and
    the receiver's capabilities, map.

    ``test_environment``: a non-production deployment (synthetic person numbers accepted).
    ``bindings``: whom each raw topic may carry; None only off the ingest path (``route
    explain``, a benchmark of the stage), where no topic vouches for anyone."""
    received_at = received_at or datetime.now(UTC)
    try:
        parsed = parse_message(raw, limits=limits)
    except MessageError as error:
        return _rejected(error, None, raw, origin, traceparent, None, received_at, registry)
    if bindings is not None and (refusal := sender_refusal(parsed, origin.topic, bindings)):
        return _rejected(
            refusal, parsed, raw, origin, traceparent, None, received_at, registry, answer=False
        )
    national_id = parsed.patient.national_id if parsed.patient else None
    key = patient_key(national_id) if national_id else None
    try:
        check_business_rules(
            parsed,
            receiver_known=lambda her: registry.party(her) is not None,
            reject_unknown_receiver=reject_unknown_receiver,
            test_environment=test_environment,
        )
        _check_receiver_accepts(parsed, registry)
    except MessageError as error:
        return _rejected(error, parsed, raw, origin, traceparent, key, received_at, registry)
    event = to_canonical(parsed, patient_key=key, received_at=received_at, trace_parent=traceparent)
    receipts = receipt_records(
        parsed,
        AppRecStatus.OK,
        patient_key=key,
        traceparent=traceparent,
        is_ours=_answers_for(parsed, registry),
        now=received_at,
    )
    return Accepted(parsed, event, key, receipts)


def _answers_for(msg: ParsedMessage, registry: RegistryView) -> Callable[[Party], bool]:
    """Whom samflyt sends AppRecs as: the addressed receiver, and the copy receivers it serves
    (in the address register); a copy receiver it does not know gets nothing from samflyt, so
    samflyt does not acknowledge the message in its name."""
    return lambda party: party is msg.receiver or registry.party(party.her_id) is not None


def _check_receiver_accepts(msg: ParsedMessage, registry: RegistryView) -> None:
    """An addressed care party must take the type and version. National services and the
    citizen portal are governed by their entitlements (routing), test parties take anything."""
    if msg.msg_type == "APPREC":
        return
    receiver = registry.party(msg.receiver.her_id)
    if receiver is None or receiver.care_level in (CareLevel.NATIONAL, CareLevel.CITIZEN):
        return
    if receiver.kind is PartyKind.TEST:
        return
    if not receiver.accepts_message(msg.msg_type, msg.standard_version):
        raise ReceiverCannotAccept(
            f"receiver {receiver.her_id} does not take {msg.msg_type} {msg.standard_version}"
        )


def sender_refusal(
    msg: ParsedMessage, topic: str, bindings: SenderBindings
) -> SenderNotBound | None:
    """Why ``topic`` may not carry this sender, or None. The most specific sender HER-id (the
    unit's when there is one) is the one checked: it is the sender samflyt routes and answers
    as, so an organisation's binding does not cover another organisation's unit."""
    permitted = bindings.permitted(topic)
    claimed = msg.sender.her_id
    if permitted is None:
        return SenderNotBound(f"raw topic {topic} is bound to no connector (sender {claimed})")
    if claimed not in permitted:
        return SenderNotBound(f"sender {claimed} is not bound to raw topic {topic}")
    return None


def reason_of(error: MessageError) -> str:
    if isinstance(error, ReceiverCannotAccept):
        return "RECEIVER_CANNOT_ACCEPT"
    if isinstance(error, SenderNotBound):
        return "SENDER_NOT_PERMITTED"
    return REASON_OF_CODE.get(error.code, "OTHER")


def _rejected(
    error: MessageError,
    parsed: ParsedMessage | None,
    raw: bytes,
    origin: Origin,
    traceparent: str | None,
    key: str | None,
    now: datetime,
    registry: RegistryView,
    *,
    answer: bool = True,
) -> Rejected:
    dead_letter = {
        "dead_letter_id": uuid.uuid4(),
        "failed_at": now,
        "stage": "VALIDATE",
        "reason": reason_of(error),
        "reason_code": error.code,
        "detail": _safe_detail(error, parsed),
        "error_type": type(error).__name__,
        "retriable": error.retriable,
        "attempt": 1,
        "message_id": parsed.message_id if parsed else None,
        "msg_type": parsed.msg_type if parsed else None,
        "sender_her_id": parsed.sender.her_id if parsed else None,
        "original": raw,
        "origin": {
            "topic": origin.topic,
            "partition": origin.partition,
            "offset": origin.offset,
            "timestamp": origin.timestamp,
            "key": origin.key,
            "headers": [{"key": k, "value": v} for k, v in origin.headers],
        },
        "trace": {"traceparent": traceparent, "tracestate": None},
    }
    receipts = (
        receipt_records(
            parsed,
            AppRecStatus.REJECTED,
            [error],
            patient_key=key,
            traceparent=traceparent,
            is_ours=_answers_for(parsed, registry),
            now=now,
        )
        if parsed is not None and answer
        else []
    )
    return Rejected(error, dead_letter, parsed, receipts)


def _safe_detail(error: MessageError, parsed: ParsedMessage | None) -> str:
    """The error's detail with any national id of the patient masked, as a last line of defence."""
    detail = error.detail
    if parsed and parsed.patient:
        for ident in parsed.patient.idents:
            if ident.id and len(ident.id) >= 6 and ident.id in detail:
                detail = detail.replace(ident.id, mask(ident.id))
    return detail
