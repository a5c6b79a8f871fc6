"""XML → canonical event: the pure mapping from a :class:`ParsedMessage` to a ``CanonicalEvent``.

The envelope comes from the parsed header; the payload record is chosen by message type (then by
standard) and filled from ``ParsedMessage.body`` (type-specific strings) and ``observations``.
Types samflyt does not interpret become an ``OpaqueDocument`` payload: the envelope and the
original bytes still travel. The whole ``body`` is also kept verbatim in ``attributes``.

Body keys read, per payload (the XML parsers' keys; connectors of non-XML sources set the same;
absent keys become null):

* every payload: ``document`` (local name of the document's root element)
* care (PLO): ``event_time``, ``institution``, ``text``
* dialogue: ``dialogue_kind`` (``notat``/``foresporsel``), ``theme_code``, ``theme_code_system``,
  ``theme``, ``question_type``, ``text``, ``document_ref``
* referral: ``urgency`` (hastegrad; ``0`` is an emergency), ``requested_service``,
  ``reason_code``, ``reason_code_system``, ``reason_text``
* discharge summary: ``department``, ``admission_date``, ``discharge_date``, ``diagnosis_code``,
  ``diagnosis_code_system``, ``diagnosis_text``, ``text``
* result report: ``result_category`` (MsgDescr), ``report_status``, ``issued``
* core journal: ``category``, ``code``, ``code_system``, ``description``, ``severity``,
  ``institution_her_id``, ``period_start``, ``period_end``
* citizen: ``visit_id``, ``visit_start``, ``visit_end`` (ISO date-times), ``service``,
  ``subject``, ``text``, ``from_relative`` (``true``/``false``)
* welfare alarm: ``alarm_type`` (a symbol of ``AlarmType``), ``alarm_id``, ``device_id``,
  ``triggered_at`` (ISO date-time), ``location``, ``severity``, ``text``
* AppRec: ``status`` (8258: ``1``/``2``/``3``), ``errors`` (codes, comma-separated),
  ``error_texts`` (``"code: description: detail"`` per error, joined by `` | ``),
  ``original_msg_type``, ``original_issue_date``, ``original_msg_id``

A date-time without an offset (``GenDate`` usually has none) is Norwegian local time; times are
cut to whole milliseconds (``timestamp-millis``), so a decoded event equals the mapped one.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from schemas._canonical_payloads import (
    CITIZEN_MESSAGE_PREFIX,
    KJ_CRITICAL_INFORMATION,
    KJ_HOSPITAL_CONTACT,
    KJ_MEDICATION_LIST,
    OPAQUE,
    OSLO,
    VISIT_CANCELLED,
    VISIT_COMPLETED,
    VISIT_PLANNED,
    WELFARE_ALARM,
    builder,
    opaque,
    to_millis,
)
from schemas.model import ParsedMessage, Party, Patient, Person

__all__ = [
    "CITIZEN_MESSAGE_PREFIX",
    "KJ_CRITICAL_INFORMATION",
    "KJ_HOSPITAL_CONTACT",
    "KJ_MEDICATION_LIST",
    "VISIT_CANCELLED",
    "VISIT_COMPLETED",
    "VISIT_PLANNED",
    "WELFARE_ALARM",
    "event_id",
    "party_record",
    "payload_name",
    "to_canonical",
]

_EVENT_NAMESPACE = uuid.UUID("5d0c3f0e-6a86-5b43-9f55-8f3b1c2a7e10")


def payload_name(msg: ParsedMessage) -> str:
    """Full name of the payload record ``msg`` maps to (an unusable AppRec falls back to opaque)."""
    return builder(msg)[0]


def event_id(msg: ParsedMessage) -> uuid.UUID:
    """The event's id: a UUIDv5 of the sender's HER-id and the message id, stable across replays."""
    return uuid.uuid5(_EVENT_NAMESPACE, f"{msg.sender.her_id or ''}|{msg.message_id}")


def _media_type(raw: bytes) -> str:
    head = raw[:4].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        return "application/xml"
    return "application/json" if head.startswith((b"{", b"[")) else "application/octet-stream"


def _idents(idents: tuple[Any, ...]) -> list[dict[str, str]]:
    return [{"id": i.id, "type": i.type} for i in idents]


def _person(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    idents = _idents(person.idents)
    return {"name": person.name, "hpr": person.hpr, "her_id": person.her_id, "idents": idents}


def party_record(party: Party) -> dict[str, Any]:
    """The Avro ``Party`` record of a parsed party (also used for AppRec addressing)."""
    return {
        "her_id": party.her_id,
        "name": party.name,
        "org_her_id": party.org_her_id,
        "org_no": party.org_no,
        "idents": _idents(party.idents),
        "unit_name": party.unit_name,
        "unit_her_id": party.unit_her_id,
        "unit_idents": _idents(party.unit_idents),
        "professional": _person(party.person),
    }


def _patient(patient: Patient | None, key: str | None) -> dict[str, Any] | None:
    if patient is None:
        return None
    national_id = patient.national_id
    id_type = next(
        (i.type.strip().upper() for i in patient.idents if i.id.strip() == national_id), None
    )
    return {
        "patient_key": key,
        "national_id": national_id,
        "national_id_type": id_type if national_id is not None else None,
        "idents": _idents(patient.idents),
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "birth_date": patient.birth_date,
        "sex": patient.sex,
    }


def to_canonical(
    msg: ParsedMessage,
    *,
    patient_key: str | None,
    received_at: datetime,
    trace_parent: str | None = None,
    content_ref: str | None = None,
) -> dict[str, Any]:
    """The ``CanonicalEvent`` record of ``msg``, ready for :func:`schemas.codec.encode`.

    ``patient_key`` is the pseudonym of the patient's national id (see
    :func:`schemas.pseudonym.patient_key`); ``received_at`` is when samflyt received the message
    (a naive value is taken as UTC); with ``content_ref`` the original bytes are referenced
    instead of carried inline. Pure: the same arguments give an equal record.
    """
    name, build = builder(msg)
    payload = build(msg)
    if payload is None:
        name, payload = OPAQUE, opaque(msg)
    generated = msg.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=OSLO)
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return {
        "event_id": event_id(msg),
        "message_id": msg.message_id,
        "msg_type": msg.msg_type,
        "standard": msg.standard,
        "standard_version": msg.standard_version,
        "root_namespace": msg.root_namespace,
        "header_family": msg.family.name,
        "generated_at": to_millis(generated),
        "received_at": to_millis(received_at),
        "sender": party_record(msg.sender),
        "receiver": party_record(msg.receiver),
        "copy_receivers": [party_record(p) for p in msg.copy_receivers],
        "patient": _patient(msg.patient, patient_key),
        "action": msg.action.value,
        "document_id": msg.document_id,
        "refers_to_parent": msg.refers_to_parent,
        "conversation_id": msg.conversation_id,
        "related_request_id": msg.related_request_id,
        "is_test": msg.is_test,
        "priority": msg.priority,
        "trace": {"traceparent": trace_parent, "tracestate": None},
        "original": {
            "content": None if content_ref else msg.raw,
            "content_ref": content_ref,
            "sha256": hashlib.sha256(msg.raw).hexdigest(),
            "size": len(msg.raw),
            "media_type": _media_type(msg.raw),
        },
        "attributes": dict(msg.body),
        "payload": (name, payload),
    }
