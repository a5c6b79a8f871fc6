"""XML → canonical event: the pure mapping from a :class:`ParsedMessage` to a ``CanonicalEvent``.

The envelope comes from the parsed header; the payload record is chosen by message type (then by
standard) and filled from ``ParsedMessage.body`` (type-specific strings) and ``observations``.
Types samflyt does not interpret become an ``OpaqueDocument`` payload: the envelope and the
original bytes still travel. The whole ``body`` is also kept verbatim in ``attributes``.

Body keys read, per payload (a parser sets those it finds; absent keys become null):

* care (PLO): ``root_element``, ``event_time``, ``institution``, ``text``
* dialogue: ``theme_code``, ``theme_code_system``, ``theme``, ``question_type``, ``text``,
  ``document_ref``
* referral: ``urgency`` (hastegrad; ``0`` is an emergency), ``requested_service``,
  ``reason_code``, ``reason_code_system``, ``reason_text``
* discharge summary: ``department``, ``admission_date``, ``discharge_date``, ``diagnosis_code``,
  ``diagnosis_code_system``, ``diagnosis_text``, ``text``
* result report: ``category`` (MsgDescr), ``report_status``, ``issued``
* core journal: ``category``, ``code``, ``code_system``, ``description``, ``severity``,
  ``institution_her_id``, ``period_start``, ``period_end``
* citizen: ``visit_id``, ``visit_start``, ``visit_end`` (ISO date-times), ``service``,
  ``subject``, ``text``, ``from_relative`` (``true``/``false``)
* welfare alarm: ``alarm_type`` (a symbol of ``AlarmType``), ``alarm_id``, ``device_id``,
  ``triggered_at`` (ISO date-time), ``location``, ``severity``, ``text``
* AppRec: ``apprec_status`` (8258: ``1``/``2``/``3``), ``apprec_version``,
  ``original_msg_type``, ``original_issue_date``, ``original_msg_id``, and per error *n* (from 1)
  ``error.<n>.code``, ``error.<n>.code_system``, ``error.<n>.description``, ``error.<n>.detail``

A date-time without an offset (``GenDate`` usually has none) is Norwegian local time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from schemas.model import Observation, ParsedMessage, Party, Patient, Person

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
    "payload_name",
    "to_canonical",
]

# Message types of the non-XML sources (connectors build a ParsedMessage with these).
KJ_CRITICAL_INFORMATION = "KJ_KRITISK_INFO"
KJ_MEDICATION_LIST = "KJ_LEGEMIDDELLISTE"
KJ_HOSPITAL_CONTACT = "KJ_SYKEHUSKONTAKT"
VISIT_PLANNED = "HJEMMEBESOK_PLANLAGT"
VISIT_COMPLETED = "HJEMMEBESOK_UTFORT"
VISIT_CANCELLED = "HJEMMEBESOK_AVLYST"
CITIZEN_MESSAGE_PREFIX = "DIALOG_INNBYGGER_"
WELFARE_ALARM = "VELFERD_ALARM"

_OSLO = ZoneInfo("Europe/Oslo")
_EVENT_NAMESPACE = uuid.UUID("5d0c3f0e-6a86-5b43-9f55-8f3b1c2a7e10")

_CARE = "no.samflyt.care.CareMessage"
_DIALOGUE = "no.samflyt.dialogue.Dialogue"
_REFERRAL = "no.samflyt.referral.Referral"
_DISCHARGE = "no.samflyt.discharge.DischargeSummary"
_RESULT = "no.samflyt.result.ResultReport"
_CORE = "no.samflyt.corejournal.CoreJournalEvent"
_CITIZEN = "no.samflyt.citizen.CitizenEvent"
_WELFARE = "no.samflyt.welfare.WelfareAlarm"
_APPREC = "no.samflyt.receipt.AppRecInfo"
_OPAQUE = "no.samflyt.document.OpaqueDocument"

_CARE_KINDS = {
    "INNLEGGELSESRAPPORT": "ADMISSION_REPORT",
    "UTSKRIVNINGSRAPPORT": "DISCHARGE_REPORT",
    "HELSEOPPL_SOKNAD": "HEALTH_INFO_APPLICATION",
    "HELSEOPPLYSNINGER_LEGE": "HEALTH_INFO_TO_GP",
    "MEDISINSKE_OPPLYSNINGER": "MEDICAL_INFO",
    "ORIENTERING_TJENESTETILBUD": "SERVICE_NOTICE",
    "LOG_INNLAGT": "LOG_ADMITTED",
    "LOG_UTSKRIVNINGSKLAR": "LOG_READY_FOR_DISCHARGE",
    "LOG_AVMELDING": "LOG_DEREGISTERED",
    "LOG_UTSKREVET": "LOG_DISCHARGED",
    "LOG_DOD": "LOG_DEATH",
    "MELDING_FRAVAR": "ABSENCE",
}
_DIALOGUE_KINDS = {
    "DIALOG_FORESPORSEL": "QUESTION",
    "DIALOG_SVAR": "ANSWER",
    "DIALOG_NOTAT": "NOTE",
    "DIALOG_AVVIK": "DEVIATION",
    "DIALOG_HELSEFAGLIG": "HEALTH_DIALOGUE",
    "DIALOG_STATUS_HENVISNING": "REFERRAL_STATUS",
    "DIALOG_TIL_ARKIVERING": "FOR_ARCHIVE",
}
_REFERRAL_KINDS = {
    "HENVISNING": "NEW_CONDITION",
    "H": "NEW_CONDITION",
    "HENVISNING_NYTILSTAND": "NEW_CONDITION",
    "HENVISNING_VIDERE": "FORWARDED",
}
_RESULT_BY_TYPE = {
    "SVAR_KKL": "CLINICAL_CHEMISTRY",
    "SVAR_MBIO": "MICROBIOLOGY",
    "SVAR_HIST": "PATHOLOGY",
    "SVAR_CYT": "PATHOLOGY",
    "SVAR_RTG": "RADIOLOGY",
}
_RESULT_BY_CATEGORY = {
    "CLIN": "CLINICAL_CHEMISTRY",
    "MBIO": "MICROBIOLOGY",
    "CYTO": "PATHOLOGY",
    "HIST": "PATHOLOGY",
    **dict.fromkeys(("RTG", "CT", "MR", "UL", "NM", "PET", "MAMMO"), "RADIOLOGY"),
}
_CORE_KINDS = {
    KJ_CRITICAL_INFORMATION: "CRITICAL_INFORMATION",
    KJ_MEDICATION_LIST: "MEDICATION_LIST",
    KJ_HOSPITAL_CONTACT: "HOSPITAL_CONTACT",
}
_CITIZEN_KINDS = {
    VISIT_PLANNED: "VISIT_PLANNED",
    VISIT_COMPLETED: "VISIT_COMPLETED",
    VISIT_CANCELLED: "VISIT_CANCELLED",
}
_ALARM_TYPES = frozenset(
    {"SAFETY_ALARM", "FALL", "FIRE", "DOOR", "BED_EXIT", "INACTIVITY", "WANDERING"}
    | {"MEDICATION_DISPENSER"}
)
_APPREC_STATUS = {"1": "OK", "2": "REJECTED", "3": "OK_ERROR_IN_PART"}


def _time(value: str | None) -> datetime | None:
    """An ISO date-time from a body string; naive means Norwegian local time; junk gives None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_OSLO)


def _pick(body: dict[str, str], *keys: str) -> dict[str, str | None]:
    return {key: body.get(key) for key in keys}


def _care(msg: ParsedMessage) -> dict[str, Any]:
    return {
        "kind": _CARE_KINDS.get(msg.msg_type, "OTHER"),
        "expects_answer": msg.msg_type == "LOG_UTSKRIVNINGSKLAR",
        **_pick(msg.body, "root_element", "event_time", "institution", "text"),
    }


def _dialogue(msg: ParsedMessage) -> dict[str, Any]:
    kind = _DIALOGUE_KINDS.get(msg.msg_type, "OTHER")
    keys = ("theme_code", "theme_code_system", "theme", "question_type", "text", "document_ref")
    fields = _pick(msg.body, *keys)
    asks = kind == "QUESTION" or (kind == "HEALTH_DIALOGUE" and bool(fields["question_type"]))
    return {"kind": kind, "expects_answer": asks, **fields}


def _referral(msg: ParsedMessage) -> dict[str, Any]:
    keys = ("urgency", "requested_service", "reason_code", "reason_code_system", "reason_text")
    fields = _pick(msg.body, *keys)
    return {
        "kind": _REFERRAL_KINDS.get(msg.msg_type, "OTHER"),
        "is_emergency": (fields["urgency"] or "").strip() == "0",
        **fields,
    }


def _discharge(msg: ParsedMessage) -> dict[str, Any]:
    keys = ("department", "admission_date", "discharge_date", "diagnosis_code")
    return _pick(msg.body, *keys, "diagnosis_code_system", "diagnosis_text", "text")


def _observation(item: Observation) -> dict[str, Any]:
    return {
        "code": item.code,
        "code_system": item.code_system,
        "name": item.name,
        "value": item.value,
        "unit": item.unit,
        "status": item.status,
        "action": item.action.value if item.action is not None else None,
        "abnormal": item.abnormal,
    }


def _result(msg: ParsedMessage) -> dict[str, Any]:
    category = msg.body.get("category")
    domain = _RESULT_BY_TYPE.get(msg.msg_type)
    if domain is None:
        by_category = _RESULT_BY_CATEGORY.get((category or "").strip().upper())
        domain = by_category or ("LABORATORY" if msg.msg_type == "SVAR_LAB" else "OTHER")
    return {
        "domain": domain,
        "category": category,
        "report_status": msg.body.get("report_status"),
        "issued": msg.body.get("issued"),
        "observations": [_observation(item) for item in msg.observations],
    }


def _core(msg: ParsedMessage) -> dict[str, Any]:
    keys = ("category", "code", "code_system", "description", "severity", "institution_her_id")
    fields = _pick(msg.body, *keys, "period_start", "period_end")
    return {"kind": _CORE_KINDS.get(msg.msg_type, "OTHER"), **fields}


def _citizen(msg: ParsedMessage) -> dict[str, Any]:
    body = msg.body
    is_message = msg.msg_type.startswith(CITIZEN_MESSAGE_PREFIX)
    return {
        "kind": "CITIZEN_MESSAGE" if is_message else _CITIZEN_KINDS.get(msg.msg_type, "OTHER"),
        "visit_start": _time(body.get("visit_start")),
        "visit_end": _time(body.get("visit_end")),
        "from_relative": body.get("from_relative", "").strip().lower() == "true",
        **_pick(body, "visit_id", "service", "subject", "text"),
    }


def _welfare(msg: ParsedMessage) -> dict[str, Any]:
    alarm_type = (msg.body.get("alarm_type") or "").strip().upper()
    return {
        "alarm_type": alarm_type if alarm_type in _ALARM_TYPES else "OTHER",
        "triggered_at": _time(msg.body.get("triggered_at")),
        **_pick(msg.body, "alarm_id", "device_id", "location", "severity", "text"),
    }


def _opaque(msg: ParsedMessage) -> dict[str, Any]:
    return {
        "root_element": msg.body.get("root_element"),
        "description": msg.body.get("description"),
    }


def _apprec_errors(body: dict[str, str]) -> list[dict[str, str | None]]:
    errors = []
    n = 1
    while (code := body.get(f"error.{n}.code")) is not None:
        prefix = f"error.{n}."
        errors.append(
            {
                "code": code,
                "code_system": body.get(prefix + "code_system"),
                "description": body.get(prefix + "description"),
                "detail": body.get(prefix + "detail"),
            }
        )
        n += 1
    return errors


def _apprec(msg: ParsedMessage) -> dict[str, Any] | None:
    body = msg.body
    status = _APPREC_STATUS.get((body.get("apprec_status") or "").strip())
    original_id = body.get("original_msg_id")
    if status is None or original_id is None:
        return None  # not a usable receipt: carried as an opaque document
    return {
        "status": status,
        "errors": _apprec_errors(body),
        "original": {
            "msg_type": body.get("original_msg_type") or "",
            "issue_date": body.get("original_issue_date"),
            "message_id": original_id.strip().lower(),
        },
        "apprec_version": body.get("apprec_version") or msg.standard_version or None,
    }


_Builder = Callable[[ParsedMessage], dict[str, Any] | None]
_BY_TYPE: dict[str, tuple[str, _Builder]] = {
    **dict.fromkeys(_CARE_KINDS, (_CARE, _care)),
    **dict.fromkeys(_DIALOGUE_KINDS, (_DIALOGUE, _dialogue)),
    **dict.fromkeys(_REFERRAL_KINDS, (_REFERRAL, _referral)),
    **dict.fromkeys(("EPIKRISE", "E"), (_DISCHARGE, _discharge)),
    **dict.fromkeys(_CORE_KINDS, (_CORE, _core)),
    **dict.fromkeys(_CITIZEN_KINDS, (_CITIZEN, _citizen)),
    WELFARE_ALARM: (_WELFARE, _welfare),
    "APPREC": (_APPREC, _apprec),
}
_BY_PREFIX: tuple[tuple[str, tuple[str, _Builder]], ...] = (
    (CITIZEN_MESSAGE_PREFIX, (_CITIZEN, _citizen)),
    ("SVAR_", (_RESULT, _result)),
)
_BY_STANDARD: dict[str, tuple[str, _Builder]] = {
    "plo": (_CARE, _care),
    "dialogmelding": (_DIALOGUE, _dialogue),
    "henvisning": (_REFERRAL, _referral),
    "epikrise": (_DISCHARGE, _discharge),
    "svarrapport": (_RESULT, _result),
    "apprec": (_APPREC, _apprec),
}


def _builder(msg: ParsedMessage) -> tuple[str, _Builder]:
    found = _BY_TYPE.get(msg.msg_type)
    if found is None:
        found = next((b for prefix, b in _BY_PREFIX if msg.msg_type.startswith(prefix)), None)
    return found or _BY_STANDARD.get(msg.standard.lower(), (_OPAQUE, _opaque))


def payload_name(msg: ParsedMessage) -> str:
    """Full name of the payload record ``msg`` maps to (before an unusable AppRec falls back)."""
    return _builder(msg)[0]


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


def _party(party: Party) -> dict[str, Any]:
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
    id_type = next((i.type for i in patient.idents if i.id == national_id), None)
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
    name, build = _builder(msg)
    payload = build(msg)
    if payload is None:
        name, payload = _OPAQUE, _opaque(msg)
    generated = msg.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=_OSLO)
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
        "generated_at": generated,
        "received_at": received_at,
        "sender": _party(msg.sender),
        "receiver": _party(msg.receiver),
        "copy_receivers": [_party(p) for p in msg.copy_receivers],
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
