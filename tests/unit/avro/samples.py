"""Synthetic, fictitious test data for the Avro layer: parsed messages and records of every schema.

National ids carry valid mod-11 check digits but belong to nobody (test ranges, invented dates);
HER-ids, HPR-numbers and organisation numbers are invented.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from schemas.canonical import to_canonical
from schemas.model import (
    Action,
    HeaderFamily,
    Ident,
    Observation,
    ParsedMessage,
    Party,
    Patient,
    Person,
)

SECRET = b"synthetic-test-secret-not-for-production!"
RECEIVED = datetime(2024, 11, 5, 9, 30, 12, 345000, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def fnr(birth: str, individual: str) -> str:
    """A fødselsnummer-shaped id with valid check digits (DDMMYY + 3 digits)."""
    digits = [int(c) for c in birth + individual]
    k1 = 11 - sum(d * w for d, w in zip(digits, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    digits.append(k1)
    k2 = 11 - sum(d * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    if 10 in (k1, k2):
        raise ValueError("no valid check digits for this individual number; pick another")
    return birth + individual + str(k1) + str(k2)


PATIENT_FNR = fnr("130552", "123")
RELATIVE_FNR = fnr("241180", "456")

HOME_CARE = Party(
    name="Testvik kommune",
    org_her_id="8100001",
    org_no="964000001",
    idents=(Ident("8100001", "HER"), Ident("964000001", "ENH")),
    unit_name="Hjemmetjenesten sone nord",
    unit_her_id="8100002",
    unit_idents=(Ident("8100002", "HER"),),
    person=Person(name="Kari Testpleier", hpr="9100001", idents=(Ident("9100001", "HPR"),)),
)
GP_OFFICE = Party(
    name="Testvik legesenter",
    org_her_id="8200001",
    org_no="974000002",
    idents=(Ident("8200001", "HER"),),
    person=Person(name="Ola Testlege", hpr="9200001", her_id="8200011"),
)
HOSPITAL = Party(
    name="Helse Test HF",
    org_her_id="8300001",
    unit_name="Medisinsk avdeling",
    unit_her_id="8300002",
)
LAB = Party(name="Testlab", org_her_id="8400001")
PATIENT = Patient(
    idents=(Ident(PATIENT_FNR, "FNR"),),
    family_name="Testesen",
    given_name="Testa",
    birth_date="1952-05-13",
    sex="2",
)


def message(msg_type: str, standard: str, **changes: Any) -> ParsedMessage:
    """A parsed message from home care to the GP, changed by keyword."""
    values: dict[str, Any] = {
        "family": HeaderFamily.MSGHEAD,
        "msg_type": msg_type,
        "standard": standard,
        "standard_version": "1.6",
        "root_namespace": "http://www.kith.no/xmlstds/test",
        "message_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"samflyt-test/{msg_type}")),
        "generated_at": datetime(2024, 11, 5, 10, 29, 0),  # Norwegian local time
        "sender": HOME_CARE,
        "receiver": GP_OFFICE,
        "raw": b"<?xml version='1.0' encoding='UTF-8'?><MsgHead>" + b"x" * 200 + b"</MsgHead>",
        "patient": PATIENT,
    }
    values.update(changes)
    return ParsedMessage(**values)


OBSERVATIONS = (
    Observation("NPU02319", "2.16.578.1.12.4.1.1.7280", "Hemoglobin", "13.1", "g/dL", "3"),
    Observation("NPU01370", None, "CRP", "112", "mg/L", "3", Action.CHANGE, abnormal=True),
)

# one message per payload domain: (label, message)
DOMAIN_MESSAGES: tuple[tuple[str, ParsedMessage], ...] = (
    ("care", message("LOG_UTSKRIVNINGSKLAR", "plo", body={"document": "Pasientlogistikk"})),
    (
        "dialogue",
        message(
            "DIALOG_HELSEFAGLIG",
            "dialogmelding",
            standard_version="1.1",
            conversation_id="0f4e8a5c-2b3d-4c6e-8f10-123456789abc",
            body={"dialogue_kind": "foresporsel", "theme_code": "8", "question_type": "1"},
        ),
    ),
    (
        "referral",
        message(
            "HENVISNING_NYTILSTAND",
            "henvisning",
            standard_version="2.0",
            sender=GP_OFFICE,
            receiver=HOSPITAL,
            document_id="ref-0001",
            body={"urgency": "0", "reason_text": "Akutt dyspné"},
        ),
    ),
    (
        "discharge",
        message(
            "EPIKRISE",
            "epikrise",
            family=HeaderFamily.MESSAGE,
            standard_version="1.2",
            sender=HOSPITAL,
            receiver=GP_OFFICE,
            copy_receivers=(HOME_CARE,),
            related_request_id="ref-0001",
            action=Action.CHANGE,
            document_id="epi-0001",
            body={"department": "Medisinsk avdeling", "diagnosis_code": "J18.9"},
        ),
    ),
    (
        "result",
        message(
            "SVAR_LAB",
            "svarrapport",
            family=HeaderFamily.MESSAGE,
            standard_version="1.4",
            sender=LAB,
            is_test=True,
            body={"result_category": "CLIN", "report_status": "F"},
            observations=OBSERVATIONS,
        ),
    ),
    (
        "radiology",
        message("SVAR_RTG", "svarrapport", body={"result_category": "CT"}, sender=LAB),
    ),
    (
        "core journal",
        message(
            "SAMFLYT_KJ_KRITISK_INFO",
            "kjernejournal",
            standard_version="1",
            root_namespace="",
            raw=b'{"kind": "allergy", "substance": "penicillin"}',
            body={"category": "allergy", "description": "Penicillin", "severity": "high"},
        ),
    ),
    (
        "citizen",
        message(
            "SAMFLYT_BESOK_PLANLAGT",
            "innbygger",
            body={
                "visit_id": "v-17",
                "visit_start": "2024-11-06T08:00:00",
                "from_relative": "true",
            },
        ),
    ),
    (
        "welfare",
        message(
            "SAMFLYT_ALARM",
            "velferdsteknologi",
            priority="high",
            body={"alarm_type": "fall", "triggered_at": "2024-11-05T03:12:44+01:00"},
        ),
    ),
    (
        "apprec",
        message(
            "APPREC",
            "apprec",
            family=HeaderFamily.APPREC,
            standard_version="1.1",
            patient=None,
            body={
                "status": "2",
                "errors": "E21,X99",
                "error_texts": "E21: Mottaker finnes ikke | X99: Annen feil: ukjent tjeneste",
                "original_msg_type": "DIALOG_HELSEFAGLIG",
                "original_issue_date": "2024-11-05T10:29:00",
                "original_msg_id": "0F4E8A5C-2B3D-4C6E-8F10-123456789ABC",
            },
        ),
    ),
    ("opaque", message("EPJ-EKSTRAKT", "epj-ekstrakt", body={"document": "EPJEkstrakt"})),
)


def canonical_event(msg: ParsedMessage | None = None) -> dict[str, Any]:
    msg = msg or DOMAIN_MESSAGES[0][1]
    return to_canonical(msg, patient_key="a" * 64, received_at=RECEIVED, trace_parent=TRACEPARENT)


def _trace() -> dict[str, Any]:
    return {"traceparent": TRACEPARENT, "tracestate": None}


def receipt() -> dict[str, Any]:
    event = canonical_event(DOMAIN_MESSAGES[-2][1])
    return {
        "receipt_id": uuid.UUID("6f1c0d52-8d8e-4b55-9a43-0d6d1f2f7e01"),
        "generated_at": RECEIVED,
        "direction": "OUTGOING",
        "sender": event["receiver"],
        "receiver": event["sender"],
        "sender_role": "PRIM",
        "info": event["payload"][1],
        "apprec_xml": b"<AppRec xmlns='http://www.kith.no/xmlstds/apprec/2012-02-15'/>",
        "patient_key": None,
        "is_test": False,
        "trace": _trace(),
    }


def overdue() -> dict[str, Any]:
    event = canonical_event()
    return {
        "overdue_id": uuid.UUID("0b7e2f8e-1f1a-4a7c-9a3a-5d1c2b3a4e55"),
        "raised_at": RECEIVED,
        "deadline": datetime(2024, 11, 5, 8, 0, tzinfo=UTC),
        "request_message_id": event["message_id"],
        "request_msg_type": event["msg_type"],
        "requested_at": event["generated_at"],
        "conversation_id": None,
        "sender": event["sender"],
        "awaited_from": event["receiver"],
        "patient_key": "a" * 64,
        "is_test": False,
        "trace": _trace(),
    }


def records() -> dict[str, dict[str, Any]]:
    """A realistic record of every top-level schema, by unqualified name."""
    event = canonical_event(DOMAIN_MESSAGES[3][1])
    return {
        "CanonicalEvent": event,
        "Delivery": {
            "delivery_id": uuid.UUID("3e1a4b0c-9a0d-5f0e-8c57-1b2d3e4f5a6b"),
            "decided_at": RECEIVED,
            "recipient_her_id": "8100002",
            "recipient_name": "Hjemmetjenesten sone nord",
            "recipient_person": None,
            "care_level": "MUNICIPAL",
            "reason": "CARE_RELATIONSHIP",
            "rule_id": "epikrise.care-relationship",
            "priority": None,
            "trace": _trace(),
            "content": ("no.samflyt.event.CanonicalEvent", event),
        },
        "Receipt": receipt(),
        "DeadLetter": {
            "dead_letter_id": uuid.UUID("9d4c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d"),
            "failed_at": RECEIVED,
            "stage": "VALIDATE",
            "reason": "MALFORMED",
            "reason_code": "T01",
            "detail": "not well-formed: unclosed tag at line 3",
            "error_type": "NotWellFormedError",
            "retriable": False,
            "attempt": 1,
            "message_id": None,
            "msg_type": None,
            "sender_her_id": "8100002",
            "original": b"<MsgHead><MsgInfo>",
            "origin": {
                "topic": "raw.epj",
                "partition": 3,
                "offset": 1234567,
                "timestamp": RECEIVED,
                "key": b"8100002",
                "headers": [
                    {"key": "samflyt.connector", "value": b"epj-filedrop"},
                    {"key": "traceparent", "value": TRACEPARENT.encode()},
                    {"key": "samflyt.empty", "value": None},
                ],
            },
            "trace": _trace(),
        },
        "Decision": {
            "decision_id": uuid.UUID("1a2b3c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d"),
            "decided_at": RECEIVED,
            "event_id": event["event_id"],
            "message_id": event["message_id"],
            "msg_type": "EPIKRISE",
            "patient_key": "a" * 64,
            "party_her_id": "8500001",
            "party_name": "Testby sykehjem",
            "care_level": "MUNICIPAL",
            "outcome": "REFUSED",
            "reason": "NO_LEGITIMATE_REASON",
            "detail": "no active care relationship",
            "rule_id": None,
            "rule_set_version": "2024-11-01",
            "topic": None,
            "is_test": False,
            "trace": _trace(),
            "recipient_key": None,  # a party, not a citizen through the portal
        },
        "Overdue": overdue(),
        "CommunicationParty": {
            "her_id": "8100002",
            "name": "Hjemmetjenesten sone nord",
            "kind": "HOME_CARE",
            "care_level": "MUNICIPAL",
            "municipality_code": "5501",
            "parent_her_id": "8100001",
            "org_no": None,
            "hpr": None,
            "accepts": {"DIALOG_HELSEFAGLIG": ["1.1"], "EPIKRISE": ["1.1", "1.2"]},
            "active": True,
            "updated_at": RECEIVED,
        },
        "PatientRegistryEntry": {
            "patient_key": "a" * 64,
            "national_id": PATIENT_FNR,
            "gp": {"gp_her_id": "8200011", "since": date(2019, 1, 1)},
            "residence_municipality_code": "5501",
            "care_relationships": [
                {
                    "her_id": "8100002",
                    "kind": "home_care",
                    "started_at": date(2024, 3, 1),
                    "ended_at": None,
                    "reason": "medication_administration",
                }
            ],
            "proxies": [
                {
                    "proxy_national_id": RELATIVE_FNR,
                    "relation": "child",
                    "valid_from": date(2023, 6, 1),
                    "valid_to": None,
                }
            ],
            "core_journal_opt_out": False,
            "updated_at": None,
        },
    }
