from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.canonical import event_id, payload_name, to_canonical
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import decode_as, encode
from schemas.errors import MessageError
from schemas.model import HeaderFamily, ParsedMessage
from tests.unit.avro.samples import (
    DOMAIN_MESSAGES,
    GP_OFFICE,
    HOME_CARE,
    PATIENT_FNR,
    RECEIVED,
    TRACEPARENT,
    message,
)

MESSAGES = dict(DOMAIN_MESSAGES)
CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


def canon(msg: ParsedMessage, **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"patient_key": "k" * 64, "received_at": RECEIVED}
    return to_canonical(msg, **{**args, **kwargs})


def payload(label_or_msg: str | ParsedMessage) -> tuple[str, dict[str, Any]]:
    msg = MESSAGES[label_or_msg] if isinstance(label_or_msg, str) else label_or_msg
    name, record = canon(msg)["payload"]
    return name, record


@pytest.mark.parametrize(
    ("label", "record_name"),
    [
        ("care", "no.samflyt.care.CareMessage"),
        ("dialogue", "no.samflyt.dialogue.Dialogue"),
        ("referral", "no.samflyt.referral.Referral"),
        ("discharge", "no.samflyt.discharge.DischargeSummary"),
        ("result", "no.samflyt.result.ResultReport"),
        ("radiology", "no.samflyt.result.ResultReport"),
        ("core journal", "no.samflyt.corejournal.CoreJournalEvent"),
        ("citizen", "no.samflyt.citizen.CitizenEvent"),
        ("welfare", "no.samflyt.welfare.WelfareAlarm"),
        ("apprec", "no.samflyt.receipt.AppRecInfo"),
        ("opaque", "no.samflyt.document.OpaqueDocument"),
    ],
)
def test_payload_is_chosen_by_type(label: str, record_name: str) -> None:
    assert payload(label)[0] == record_name
    assert payload_name(MESSAGES[label]) == record_name


def test_envelope() -> None:
    msg = MESSAGES["discharge"]
    event = canon(msg, trace_parent=TRACEPARENT)
    assert event["event_id"] == event_id(msg)
    assert event["message_id"] == msg.message_id
    assert (event["msg_type"], event["standard"], event["standard_version"]) == (
        "EPIKRISE",
        "epikrise",
        "1.2",
    )
    assert event["header_family"] == "MESSAGE"
    assert event["action"] == "M"
    assert event["document_id"] == "epi-0001"
    assert event["related_request_id"] == "ref-0001"
    assert event["receiver"]["her_id"] == "8200001"
    assert event["receiver"]["professional"] == {
        "name": "Ola Testlege",
        "hpr": "9200001",
        "her_id": "8200011",
        "idents": [],
    }
    copy = event["copy_receivers"][0]
    assert (copy["her_id"], copy["org_her_id"], copy["unit_name"]) == (
        "8100002",
        "8100001",
        "Hjemmetjenesten sone nord",
    )
    assert copy["idents"] == [{"id": "8100001", "type": "HER"}, {"id": "964000001", "type": "ENH"}]
    assert event["trace"] == {"traceparent": TRACEPARENT, "tracestate": None}
    assert event["attributes"] == msg.body


def test_generation_time_without_offset_is_norwegian_local_time() -> None:
    event = canon(MESSAGES["care"])  # 2024-11-05 10:29, winter time (UTC+1)
    assert event["generated_at"] == datetime(2024, 11, 5, 9, 29, tzinfo=UTC)
    summer = canon(replace(MESSAGES["care"], generated_at=datetime(2024, 7, 1, 12, 0)))
    assert summer["generated_at"] == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    aware = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    assert canon(replace(MESSAGES["care"], generated_at=aware))["generated_at"] == aware


def test_naive_reception_time_is_utc() -> None:
    event = canon(MESSAGES["care"], received_at=datetime(2024, 11, 5, 9, 30))
    assert event["received_at"] == datetime(2024, 11, 5, 9, 30, tzinfo=UTC)


def test_patient() -> None:
    patient = canon(MESSAGES["care"], patient_key="p" * 64)["patient"]
    assert patient["patient_key"] == "p" * 64
    assert (patient["national_id"], patient["national_id_type"]) == (PATIENT_FNR, "FNR")
    assert (patient["family_name"], patient["given_name"]) == ("Testesen", "Testa")
    assert canon(MESSAGES["apprec"], patient_key=None)["patient"] is None


def test_original_is_kept_inline_or_by_reference() -> None:
    msg = MESSAGES["care"]
    original = canon(msg)["original"]
    assert original["content"] == msg.raw
    assert original["sha256"] == hashlib.sha256(msg.raw).hexdigest()
    assert (original["size"], original["media_type"]) == (len(msg.raw), "application/xml")
    ref = canon(msg, content_ref="store://messages/1")["original"]
    assert (ref["content"], ref["content_ref"]) == (None, "store://messages/1")
    assert canon(MESSAGES["core journal"])["original"]["media_type"] == "application/json"


def test_event_id_is_stable_and_distinct() -> None:
    a, b = MESSAGES["care"], MESSAGES["dialogue"]
    assert event_id(a) == event_id(replace(a, body={})) == canon(a)["event_id"]
    assert event_id(a) != event_id(b)
    assert event_id(a) != event_id(replace(a, sender=GP_OFFICE))
    assert event_id(a).version == 5
    assert isinstance(event_id(a), uuid.UUID)


def test_mapping_is_pure() -> None:
    msg = MESSAGES["result"]
    first = canon(msg)
    first["attributes"]["added"] = "x"
    assert "added" not in msg.body
    assert canon(msg) == canon(msg)


def test_care_message() -> None:
    assert payload("care")[1] == {
        "kind": "LOG_READY_FOR_DISCHARGE",
        "root_element": "Pasientlogistikk",
        "expects_answer": True,
        "event_time": None,
        "institution": None,
        "text": None,
    }
    other = message("INNLEGGELSESRAPPORT", "plo")
    assert payload(other)[1]["kind"] == "ADMISSION_REPORT"
    assert payload(other)[1]["expects_answer"] is False
    assert payload(message("PLO_NEW_THING", "plo"))[1]["kind"] == "OTHER"


def test_dialogue() -> None:
    record = payload("dialogue")[1]
    assert (record["kind"], record["expects_answer"]) == ("HEALTH_DIALOGUE", True)
    assert (record["theme_code"], record["question_type"]) == ("8", "1")
    note = payload(message("DIALOG_NOTAT", "dialogmelding", body={"dialogue_kind": "notat"}))[1]
    assert (note["kind"], note["expects_answer"]) == ("NOTE", False)
    question = payload(message("DIALOG_FORESPORSEL", "dialogmelding"))[1]
    assert (question["kind"], question["expects_answer"]) == ("QUESTION", True)


def test_referral() -> None:
    record = payload("referral")[1]
    assert (record["kind"], record["urgency"], record["is_emergency"]) == (
        "NEW_CONDITION",
        "0",
        True,
    )
    routine = payload(message("HENVISNING_VIDERE", "henvisning", body={"urgency": "3"}))[1]
    assert (routine["kind"], routine["is_emergency"]) == ("FORWARDED", False)


def test_discharge_summary() -> None:
    record = payload("discharge")[1]
    assert (record["department"], record["diagnosis_code"]) == ("Medisinsk avdeling", "J18.9")


def test_result_report() -> None:
    record = payload("result")[1]
    assert (record["domain"], record["category"], record["report_status"]) == (
        "CLINICAL_CHEMISTRY",
        "CLIN",
        "F",
    )
    assert record["observations"][1] == {
        "code": "NPU01370",
        "code_system": None,
        "name": "CRP",
        "value": "112",
        "unit": "mg/L",
        "status": "3",
        "action": "M",
        "abnormal": True,
    }
    assert payload("radiology")[1]["domain"] == "RADIOLOGY"
    micro = message("SVAR_LAB", "svarrapport", body={"result_category": "MBIO"})
    assert payload(micro)[1]["domain"] == "MICROBIOLOGY"
    assert payload(message("SVAR_LAB", "svarrapport"))[1]["domain"] == "LABORATORY"


def test_core_journal_event() -> None:
    record = payload("core journal")[1]
    assert (record["kind"], record["category"], record["severity"]) == (
        "CRITICAL_INFORMATION",
        "allergy",
        "high",
    )
    assert (
        payload(message("SAMFLYT_KJ_LEGEMIDDELENDRING", "kjernejournal"))[1]["kind"]
        == "MEDICATION_LIST"
    )


def test_citizen_event() -> None:
    record = payload("citizen")[1]
    assert record["kind"] == "VISIT_PLANNED"
    assert record["visit_start"] == datetime(2024, 11, 6, 7, 0, tzinfo=UTC)
    assert (record["visit_id"], record["from_relative"], record["visit_end"]) == (
        "v-17",
        True,
        None,
    )
    citizen = message("DIALOG_INNBYGGER_EKONTAKT", "dialogmelding", body={"text": "Hei"})
    assert payload(citizen) == (
        "no.samflyt.citizen.CitizenEvent",
        {
            "kind": "CITIZEN_MESSAGE",
            "visit_id": None,
            "visit_start": None,
            "visit_end": None,
            "service": None,
            "subject": None,
            "text": "Hei",
            "from_relative": False,
        },
    )


def test_welfare_alarm() -> None:
    record = payload("welfare")[1]
    assert record["alarm_type"] == "FALL"
    assert record["triggered_at"] == datetime(2024, 11, 5, 2, 12, 44, tzinfo=UTC)
    odd = message(
        "SAMFLYT_ALARM", "velferdsteknologi", body={"alarm_type": "x", "triggered_at": "?"}
    )
    assert (payload(odd)[1]["alarm_type"], payload(odd)[1]["triggered_at"]) == ("OTHER", None)


def test_apprec() -> None:
    record = payload("apprec")[1]
    assert record == {
        "status": "REJECTED",
        "errors": [
            {
                "code": "E21",
                "code_system": None,
                "description": "Mottaker finnes ikke",
                "detail": None,
            },
            {
                "code": "X99",
                "code_system": None,
                "description": "Annen feil",
                "detail": "ukjent tjeneste",
            },
        ],
        "original": {
            "msg_type": "DIALOG_HELSEFAGLIG",
            "issue_date": "2024-11-05T10:29:00",
            "message_id": "0f4e8a5c-2b3d-4c6e-8f10-123456789abc",
        },
        "apprec_version": "1.1",
    }
    ok = replace(MESSAGES["apprec"], body={"status": "1", "original_msg_id": "x"})
    assert payload(ok)[1]["status"] == "OK"
    assert payload(ok)[1]["errors"] == []


def test_unusable_apprec_is_carried_as_an_opaque_document() -> None:
    odd = replace(MESSAGES["apprec"], body={"status": "9", "original_msg_id": "x"})
    assert payload(odd)[0] == "no.samflyt.document.OpaqueDocument"
    assert canon(odd)["attributes"]["status"] == "9"


def test_unknown_type_falls_back_to_standard_then_opaque() -> None:
    assert payload(message("X_NEW", "epikrise"))[0] == "no.samflyt.discharge.DischargeSummary"
    name, record = payload(message("ERM1", "eresept", body={"document": "Resept"}))
    assert (name, record) == (
        "no.samflyt.document.OpaqueDocument",
        {"root_element": "Resept", "description": None},
    )


def test_parties_without_sub_unit_or_person() -> None:
    party = canon(
        message("DIALOG_NOTAT", "dialogmelding", receiver=replace(HOME_CARE, person=None))
    )
    assert party["receiver"]["professional"] is None
    assert party["sender"]["her_id"] == "8100002"


def test_every_parsable_corpus_sample_maps_and_round_trips() -> None:
    from schemas.xml.parse import parse_message

    mapped = 0
    families: set[HeaderFamily] = set()
    for path in sorted(CORPUS.rglob("*.xml")):
        try:
            msg = parse_message(path.read_bytes())
        except MessageError:
            continue
        event = canon(msg)
        assert decode_as(CANONICAL_EVENT, encode(CANONICAL_EVENT, event)) == event, path.name
        mapped += 1
        families.add(msg.family)
    assert mapped >= 40
    assert families == set(HeaderFamily)


def test_times_are_cut_to_milliseconds() -> None:
    event = canon(MESSAGES["care"], received_at=datetime(2024, 11, 5, 9, 30, 1, 123456, tzinfo=UTC))
    assert event["received_at"].microsecond == 123000
