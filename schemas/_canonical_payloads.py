"""Payload builders of the canonical mapping: which domain record a message becomes, and how.

Private to :mod:`schemas.canonical` (which documents the body keys read here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from schemas.model import Observation, ParsedMessage

# samflyt's own event types (no KITH standard): they travel in MsgHead with a samflyt
# ``Hendelse`` document (urn:samflyt:xmlstds:hendelse:1.0) and are routed by streams/routing.
KJ_CRITICAL_INFORMATION = "SAMFLYT_KJ_KRITISK_INFO"
KJ_MEDICATION_LIST = "SAMFLYT_KJ_LEGEMIDDELENDRING"
KJ_HOSPITAL_CONTACT = "SAMFLYT_KJ_SYKEHUSKONTAKT"
VISIT_PLANNED = "SAMFLYT_BESOK_PLANLAGT"
VISIT_COMPLETED = "SAMFLYT_BESOK_UTFORT"
VISIT_CANCELLED = "SAMFLYT_BESOK_AVLYST"
CITIZEN_MESSAGE_PREFIX = "DIALOG_INNBYGGER_"
WELFARE_ALARM = "SAMFLYT_ALARM"
OSLO = ZoneInfo("Europe/Oslo")
_CARE = "no.samflyt.care.CareMessage"
_DIALOGUE = "no.samflyt.dialogue.Dialogue"
_REFERRAL = "no.samflyt.referral.Referral"
_DISCHARGE = "no.samflyt.discharge.DischargeSummary"
_RESULT = "no.samflyt.result.ResultReport"
_CORE = "no.samflyt.corejournal.CoreJournalEvent"
_CITIZEN = "no.samflyt.citizen.CitizenEvent"
_WELFARE = "no.samflyt.welfare.WelfareAlarm"
_APPREC = "no.samflyt.receipt.AppRecInfo"
OPAQUE = "no.samflyt.document.OpaqueDocument"

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
    "CYT": "PATHOLOGY",
    "PAT": "PATHOLOGY",
    **dict.fromkeys(("RTG", "CT", "MR", "UL", "NUK", "PET", "MAM", "ANG", "GJEN"), "RADIOLOGY"),
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
    return to_millis(parsed if parsed.tzinfo else parsed.replace(tzinfo=OSLO))


def to_millis(moment: datetime) -> datetime:
    """``moment`` cut to whole milliseconds, the precision of ``timestamp-millis``."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _pick(body: dict[str, str], *keys: str) -> dict[str, str | None]:
    return {key: body.get(key) for key in keys}


def _care(msg: ParsedMessage) -> dict[str, Any]:
    return {
        "kind": _CARE_KINDS.get(msg.msg_type, "OTHER"),
        "root_element": msg.body.get("document"),
        "expects_answer": msg.msg_type == "LOG_UTSKRIVNINGSKLAR",
        **_pick(msg.body, "event_time", "institution", "text"),
    }


def _dialogue(msg: ParsedMessage) -> dict[str, Any]:
    kind = _DIALOGUE_KINDS.get(msg.msg_type, "OTHER")
    keys = ("theme_code", "theme_code_system", "theme", "question_type", "text", "document_ref")
    fields = _pick(msg.body, *keys)
    has_question = bool(fields["question_type"]) or msg.body.get("dialogue_kind") == "foresporsel"
    asks = kind == "QUESTION" or (kind == "HEALTH_DIALOGUE" and has_question)
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
    category = msg.body.get("result_category")
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


def opaque(msg: ParsedMessage) -> dict[str, Any]:
    return {
        "root_element": msg.body.get("document"),
        "description": msg.body.get("description"),
    }


def _apprec_errors(body: dict[str, str]) -> list[dict[str, str | None]]:
    codes = [c.strip() for c in body.get("errors", "").split(",") if c.strip()]
    texts = body.get("error_texts", "").split(" | ")
    errors: list[dict[str, str | None]] = []
    for n, code in enumerate(codes):
        parts = texts[n].split(": ", 2) if n < len(texts) and len(texts) == len(codes) else []
        if parts[:1] == [code]:
            parts = parts[1:]
        errors.append(
            {
                "code": code,
                "code_system": None,
                "description": parts[0] if parts else None,
                "detail": parts[1] if len(parts) > 1 else None,
            }
        )
    return errors


def _apprec(msg: ParsedMessage) -> dict[str, Any] | None:
    body = msg.body
    status = _APPREC_STATUS.get((body.get("status") or "").strip())
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
        "apprec_version": msg.standard_version or None,
    }


Builder = Callable[[ParsedMessage], dict[str, Any] | None]
_BY_TYPE: dict[str, tuple[str, Builder]] = {
    **dict.fromkeys(_CARE_KINDS, (_CARE, _care)),
    **dict.fromkeys(_DIALOGUE_KINDS, (_DIALOGUE, _dialogue)),
    **dict.fromkeys(_REFERRAL_KINDS, (_REFERRAL, _referral)),
    **dict.fromkeys(("EPIKRISE", "E"), (_DISCHARGE, _discharge)),
    **dict.fromkeys(_CORE_KINDS, (_CORE, _core)),
    **dict.fromkeys(_CITIZEN_KINDS, (_CITIZEN, _citizen)),
    WELFARE_ALARM: (_WELFARE, _welfare),
    "APPREC": (_APPREC, _apprec),
}
_BY_PREFIX: tuple[tuple[str, tuple[str, Builder]], ...] = (
    (CITIZEN_MESSAGE_PREFIX, (_CITIZEN, _citizen)),
    ("SVAR_", (_RESULT, _result)),
)
_BY_STANDARD: dict[str, tuple[str, Builder]] = {
    "plo": (_CARE, _care),
    "dialogmelding": (_DIALOGUE, _dialogue),
    "henvisning": (_REFERRAL, _referral),
    "epikrise": (_DISCHARGE, _discharge),
    "svarrapport": (_RESULT, _result),
    "apprec": (_APPREC, _apprec),
}


def builder(msg: ParsedMessage) -> tuple[str, Builder]:
    found = _BY_TYPE.get(msg.msg_type)
    if found is None:
        found = next((b for prefix, b in _BY_PREFIX if msg.msg_type.startswith(prefix)), None)
    return found or _BY_STANDARD.get(msg.standard.lower(), (OPAQUE, opaque))
