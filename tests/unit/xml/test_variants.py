"""Variants seen in real traffic outside the corpus, built from a corpus sample by small edits:
NAV's older wrapper namespace, swapped type attributes, a MsgHead inside a MsgHead, a
communication test without a patient, synthetic test persons, loosely written dates, lab
addenda (``ServType V="A"``), ``NULL`` written for a missing reference, an AppRec id in
mixed case, the question an answer quotes, an e-resept header naming its patient by id alone,
types and times a receipt must repeat as written, a MsgHead or result whose sender names
nobody."""

from __future__ import annotations

import re

import pytest

from schemas.canonical import to_canonical
from schemas.catalogue import CANONICAL_EVENT
from schemas.codec import decode, encode
from schemas.errors import MessageError
from schemas.model import Action
from schemas.xml import parse_message
from schemas.xml.apprec import build_apprec
from schemas.xml.errors import UnidentifiedSenderError
from schemas.xml.identifiers import has_valid_check_digits
from schemas.xml.rules import check_business_rules
from schemas.xml.safe import parse_bytes
from schemas.xml.xsd import validate
from tests.unit.xml.conftest import sample

FORESPORSEL = sample("sarepta/dialogmelding-1.0/Dialogmelding_foresporsel_PLO_v1-0.xml")
WRAPPED = sample("navikt_padm2/dialogmelding_dialog_svar_foresporsel_om_pasient.xml")
EIFF_1 = b"http://www.trygdeetaten.no/xml/eiff/1/"
SYNTHETIC_MONTH_72 = "15720255178"  # the KS fixtures' test person (STANDARDS §6)


def _edit(data: bytes, pattern: bytes, replacement: bytes) -> bytes:
    edited, count = re.subn(pattern, replacement, data, count=1, flags=re.DOTALL)
    assert count == 1, pattern
    return edited


def _without_declaration(data: bytes) -> bytes:
    return re.sub(rb"^\s*<\?xml[^>]*\?>", b"", data.lstrip(b"\xef\xbb\xbf"))


def test_the_older_nav_wrapper_namespace_is_unwrapped_like_the_newer() -> None:
    newer = parse_message(WRAPPED)
    older = parse_message(WRAPPED.replace(b"http://www.nav.no/xml/eiff/2/", EIFF_1))
    assert older.body["wrapper"] == "EI_fellesformat"
    assert (older.msg_type, older.standard, older.message_id, older.patient) == (
        newer.msg_type,
        newer.standard,
        newer.message_id,
        newer.patient,
    )


def test_a_type_written_as_a_phrase_with_the_code_in_dn_takes_the_code() -> None:
    swapped = _edit(
        FORESPORSEL,
        rb'<Type V="DIALOG_FORESPORSEL" DN="[^"]*"/>',
        '<Type V="Legerklæring ved arbeidsuførhet" DN="LEGEERKL"/>'.encode(),
    )
    assert parse_message(swapped).msg_type == "LEGEERKL"
    phrase_only = _edit(FORESPORSEL, rb'<Type V="DIALOG_FORESPORSEL"', b'<Type V="dialog foresp"')
    assert parse_message(phrase_only).msg_type == "DIALOG FORESP"  # no code to take: as written


def _with_document(document: bytes, data: bytes = FORESPORSEL) -> bytes:
    """``data`` with ``document`` in place of its Dialogmelding."""
    return _edit(data, rb"<Dialogmelding .*?</Dialogmelding>", document)


def test_legeerklaering_is_a_known_document_standard() -> None:
    legeerklaering = b'<Legeerklaring xmlns="http://www.kith.no/xmlstds/legeerklaring/2008-06-06"/>'
    msg = parse_message(_with_document(legeerklaering))
    assert (msg.standard, msg.standard_version) == ("legeerklaering", "2008-06-06")


def test_a_msghead_sent_as_the_document_of_a_msghead_gives_its_document_and_patient() -> None:
    inner = _without_declaration(FORESPORSEL)
    outer = _edit(FORESPORSEL, rb"<Patient>.*?</Patient>", b"")  # the outer names no patient
    outer = _edit(
        outer, rb"<MsgId>[^<]*</MsgId>", b"<MsgId>0b9e2c3a-5d7f-4e61-9a0b-1c2d3e4f5a6b</MsgId>"
    )
    outer = _with_document(inner, outer)
    msg = parse_message(outer)
    alone = parse_message(FORESPORSEL)
    assert msg.message_id == "0b9e2c3a-5d7f-4e61-9a0b-1c2d3e4f5a6b"  # the envelope answered
    assert (msg.standard, msg.standard_version) == (alone.standard, alone.standard_version)
    assert msg.patient == alone.patient
    assert msg.body["document"] == "Dialogmelding" and msg.body["nested_msghead"] == "true"
    check_business_rules(msg)  # the inner patient identifies it: no E36


def test_a_nested_msghead_that_cannot_be_read_leaves_the_message_opaque() -> None:
    outer = _with_document(b'<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"/>')
    msg = parse_message(outer)
    assert msg.standard == "opaque" and msg.patient is not None


def _communication_test(question: bytes) -> bytes:
    data = _edit(FORESPORSEL, rb"<Patient>.*?</Patient>", b"")
    return _edit(data, rb'<TypeForesp V="99"', b'<TypeForesp V="' + question + b'"')


def test_a_communication_test_needs_no_patient() -> None:
    check_business_rules(parse_message(_communication_test(b"KT")))


def test_any_other_question_without_a_patient_is_e36() -> None:
    with pytest.raises(MessageError) as info:
        check_business_rules(parse_message(_communication_test(b"99")))
    assert info.value.code == "E36"


def _with_patient_id(national_id: str, *, test_status: bool = False) -> bytes:
    data = FORESPORSEL.replace(b"13116900216", national_id.encode())
    if test_status:
        data = _edit(
            data,
            rb"</MsgId>",
            b'</MsgId><ProcessingStatus V="D" DN="Debugging"/>',
        )
    return data


def test_a_synthetic_person_number_is_accepted_in_test_traffic_and_test_deployments() -> None:
    assert has_valid_check_digits(SYNTHETIC_MONTH_72)
    production = parse_message(_with_patient_id(SYNTHETIC_MONTH_72))
    with pytest.raises(MessageError) as info:
        check_business_rules(production)
    assert info.value.code == "E31"
    check_business_rules(production, test_environment=True)
    test_traffic = parse_message(_with_patient_id(SYNTHETIC_MONTH_72, test_status=True))
    assert test_traffic.is_test
    check_business_rules(test_traffic)


def test_wrong_check_digits_are_e31_even_in_a_test_deployment() -> None:
    wrong = SYNTHETIC_MONTH_72[:-1] + str((int(SYNTHETIC_MONTH_72[-1]) + 1) % 10)
    with pytest.raises(MessageError) as info:
        check_business_rules(parse_message(_with_patient_id(wrong)), test_environment=True)
    assert info.value.code == "E31"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1969-11-13", "1969-11-13"),
        ("1969-11-3", "1969-11-03"),
        ("1969-1-13T00:00:00", "1969-01-13"),
        ("1969-02-30", "1969-02-30"),  # no such day: kept as written
        ("13.11.1969", "13.11.1969"),
        ("1969-W46-4", "1969-W46-4"),  # an ISO week date is no calendar date as written
    ],
)
def test_birth_dates_are_read_as_iso_dates_where_they_are_dates(written: str, read: str) -> None:
    data = _edit(
        FORESPORSEL,
        rb"<DateOfBirth>[^<]*</DateOfBirth>",
        f"<DateOfBirth>{written}</DateOfBirth>".encode(),
    )
    patient = parse_message(data).patient
    assert patient is not None and patient.birth_date == read


HISTOLOGY_ADDENDUM = sample("sarepta/svarrapport-1.4/Svar_patologi_histologi_v1-4_Tillegg.xml")
CHEMISTRY = sample("sarepta/svarrapport-1.4/Svar_biokjemi_v1-4_Ny.xml")


def test_an_addendum_is_its_own_action_on_the_original_document() -> None:
    # Sarepta's example sends the addendum as a change with report status A; real pathology
    # and requisition systems write ServType A ("Tillegg") itself
    data = _edit(
        HISTOLOGY_ADDENDUM, rb'<ServType V="M" DN="Endring"/>', b'<ServType V="A" DN="Tillegg"/>'
    )
    msg = parse_message(data)
    original = parse_message(sample("sarepta/svarrapport-1.4/Svar_patologi_histologi_v1-4_Ny.xml"))
    assert msg.action is Action.ADDENDUM and original.action is Action.NEW
    assert msg.document_id == original.document_id is not None
    event = to_canonical(msg, patient_key=None, received_at=msg.generated_at)
    assert decode(encode(CANONICAL_EVENT, event))[1]["action"] == "A"


def test_null_written_for_a_missing_reference_is_no_reference() -> None:
    assert parse_message(CHEMISTRY).related_request_id == "e312fde3-66aa-40da-bec7-26abf4d29e82"
    data = _edit(
        CHEMISTRY,
        rb"(<ServReq>.*?<Id>)e312fde3-66aa-40da-bec7-26abf4d29e82(</Id>)",
        rb"\1NULL\2",
    )
    assert parse_message(data).related_request_id is None


def test_an_apprec_id_in_mixed_case_is_kept_as_sent() -> None:
    apprec = sample("sarepta/apprec-1.0/NPR_apprec-eksempel.xml")
    sent = re.search(rb"<Id>([^<]+)</Id>", apprec)
    assert sent is not None
    mixed = _edit(apprec, rb"<Id>" + sent.group(1) + rb"</Id>", b"<Id>FiktivTestdata0001</Id>")
    msg = parse_message(mixed)
    assert msg.message_id == "fiktivtestdata0001"
    assert msg.body["msg_id_as_sent"] == "FiktivTestdata0001"


def test_an_answer_quotes_the_question_it_answers() -> None:
    msg = parse_message(WRAPPED)
    assert msg.msg_type == "DIALOG_SVAR"
    assert msg.body["request_document_ref"] == "OD1812186729156"


def test_an_empty_fnr_beside_a_d_number_is_the_d_number_and_types_are_read_in_any_case() -> None:
    d_number = _edit(
        FORESPORSEL,
        rb"<Ident>\s*<Id>13116900216</Id>\s*<TypeId V=\"FNR\"[^>]*/>\s*</Ident>",
        b'<Ident><Id/><TypeId V="FNR"/></Ident>'
        b'<Ident><Id>53116900226</Id><TypeId V="DNR"/></Ident>',
    )
    lower = FORESPORSEL.replace(b'<TypeId V="FNR"', b'<TypeId V="fnr"', 1)
    cases = ((d_number, "53116900226", "DNR"), (lower, "13116900216", "FNR"))
    for data, national_id, kind in cases:
        msg = parse_message(data)
        check_business_rules(msg, test_environment=True)
        assert msg.patient is not None and msg.patient.national_id == national_id
        patient = to_canonical(msg, patient_key="k", received_at=msg.generated_at)["patient"]
        assert (patient["national_id"], patient["national_id_type"]) == (national_id, kind)


ERESEPT = sample("sarepta/eresept/M252_Fra_RF_til_epj.xml")


def test_an_eresept_header_may_name_its_patient_by_id_alone() -> None:
    # Direktoratet's nettapotek examples (M9NA1, M9NA3): MsgHead/Patient with the FNR only
    name = rb"<FamilyName>KNUTSEN</FamilyName>\s*<GivenName>OTTAR</GivenName>"
    id_only = _edit(ERESEPT, name, b"")
    msg = parse_message(id_only)
    assert msg.standard == "eresept" and msg.patient is not None
    assert msg.patient.family_name is None and msg.patient.national_id == "21014605158"
    check_business_rules(msg)  # the prescription document identifies the patient
    wrong = _edit(id_only, rb"<Id>21014605158</Id>", b"<Id>21014605159</Id>")
    with pytest.raises(MessageError) as raised:
        check_business_rules(parse_message(wrong))
    assert raised.value.code == "E31"  # the header's id must still be a valid one


@pytest.mark.parametrize(
    "written",
    ["2026-03-09T16:15:14.884979286+01:00", "2018-01-24T10:23:32", "2018-01-24T10:23:32.0Z"],
)
def test_a_receipt_repeats_the_type_and_time_as_written(written: str) -> None:
    # NAV's service types are mixed case; GenDates come without an offset or with nanoseconds
    edited = _edit(FORESPORSEL, rb'<Type V="DIALOG_FORESPORSEL"', b'<Type V="Dialog_Foresporsel"')
    edited = _edit(edited, rb"<GenDate>[^<]+</GenDate>", f"<GenDate>{written}</GenDate>".encode())
    msg = parse_message(edited)
    assert msg.msg_type == "DIALOG_FORESPORSEL"  # read and routed as the code
    receipt = build_apprec(msg, "ok")
    validate(parse_bytes(receipt))
    original = parse_message(receipt).body
    assert original["original_msg_type"] == "Dialog_Foresporsel"
    assert original["original_issue_date"] == written


def test_a_msghead_without_a_sender_is_incomplete() -> None:
    # MsgHead v1.2 has exactly one Sender: without one nobody can be answered or trusted
    edited = _edit(FORESPORSEL, rb"<Sender>.*?</Sender>", b"")
    with pytest.raises(UnidentifiedSenderError) as raised:
        parse_message(edited)
    assert raised.value.code == "T02" and "Sender" in raised.value.detail
    assert raised.value.detail.startswith("no receipt possible: sender unidentifiable")


# Dialogmelding 1.0 acceptance criterion 16: an Organisation whose name, Id and TypeId are empty
EMPTY_ORGANISATION = (
    b"<Sender><Organisation><OrganisationName></OrganisationName>"
    b'<Ident><Id></Id><TypeId V="" DN="" S="2.16.578.1.12.4.1.1.9051"/></Ident>'
    b"</Organisation></Sender>"
)


@pytest.mark.parametrize(
    "sender",
    [
        EMPTY_ORGANISATION,
        b"<Sender/>",
        # a name says nothing an AppRec could be addressed to
        b"<Sender><Organisation><OrganisationName>Legekontor</OrganisationName>"
        b"</Organisation></Sender>",
    ],
    ids=["empty-organisation", "empty-sender", "name-only"],
)
def test_a_msghead_whose_sender_names_no_identifier_is_refused(sender: bytes) -> None:
    edited = _edit(FORESPORSEL, rb"<Sender>.*?</Sender>", sender)
    with pytest.raises(UnidentifiedSenderError) as raised:
        parse_message(edited)
    assert raised.value.code == "T02"
    assert raised.value.detail == (
        "no receipt possible: sender unidentifiable (MsgInfo/Sender carries no identifier)"
    )


def test_a_sender_known_by_its_departments_her_id_alone_is_identified() -> None:
    edited = _edit(
        FORESPORSEL,
        rb"<OrganisationName>Alvdal Kommune</OrganisationName>\s*<Ident>.*?</Ident>",
        b"<OrganisationName>Alvdal Kommune</OrganisationName>",
    )
    msg = parse_message(edited)
    assert (msg.sender.org_her_id, msg.sender.her_id) == (None, "5078")


SVAR_BIOKJEMI = sample("sarepta/svarrapport-1.4/Svar_biokjemi_v1-4_Ny.xml")


def test_a_result_whose_service_provider_institution_is_empty_is_refused() -> None:
    # Svarrapport 1.3/1.4 acceptance criterion 22: the laboratory (the sender) is not named
    edited = _edit(
        SVAR_BIOKJEMI,
        rb"<ServProvider>.*?</ServProvider>",
        b"<ServProvider><HCP><Inst><Name></Name><Id></Id><TypeId V=\"\" DN=\"\"/></Inst></HCP>"
        b"</ServProvider>",
    )
    with pytest.raises(UnidentifiedSenderError) as raised:
        parse_message(edited)
    assert raised.value.code == "T02"
    assert raised.value.detail == (
        "no receipt possible: sender unidentifiable (ServProvider carries no identifier)"
    )


def test_further_xml_documents_are_counted_beside_the_payload() -> None:
    # helsenorge's prescription renewal: the dialogue message, then the prescriptions
    document = re.search(rb"<Document>.*?</Document>", FORESPORSEL, flags=re.DOTALL)
    assert document is not None
    prescription = (
        b'<Document><RefDoc><MsgType V="XML"/><Content>'
        b'<Resept xmlns="http://www.kith.no/xmlstds/eresept/m1/2010-05-01"/>'
        b"</Content></RefDoc></Document>"
    )
    edited = FORESPORSEL.replace(document.group(0), document.group(0) + prescription * 2)
    msg = parse_message(edited)
    assert msg.standard == "dialogmelding" and msg.body["dialogue_kind"] == "foresporsel"
    assert msg.body["other_documents"] == "2" and "attachments" not in msg.body


# AppRec v1.1 §3.3.4: name + felles hjelpenummer identifies a patient. Hjelpenumre (KITH
# 1001:2010): an H-number is a person number with month + 40; a felles hjelpenummer (NHN) has 8 or
# 9 as its first digit and random digits; both have the two check digits of a person number.
H_NUMBER = "15438510092"  # 15.03.1985 + 40 in the month, individual 100 (a woman)
FH_NUMBER = "84730152077"


def unidentified_emergency_patient(number: str, type_code: str) -> bytes:
    """The lab result for a patient known only as "Ukjent kvinne", by sex and hjelpenummer."""
    return _edit(
        SVAR_BIOKJEMI,
        rb"<Name>Danser, Line</Name>(.*?)<OffId>[^<]*</OffId>\s*<TypeOffId[^>]*/>",
        b'<Sex V="2" DN="Kvinne"/><Name>Ukjent kvinne</Name>\\1'
        + f'<OffId>{number}</OffId><TypeOffId V="{type_code}" DN="Hjelpenummer"/>'.encode(),
    )


@pytest.mark.parametrize(
    ("number", "type_code"),
    [(H_NUMBER, "HNR"), (FH_NUMBER, "FHN"), (H_NUMBER, "FHN"), (FH_NUMBER, "HNR")],
    ids=["h-number", "fh-number", "h-number-as-fhn", "fh-number-as-hnr"],
)
def test_a_patient_named_with_a_hjelpenummer_and_no_birth_date_is_identified(
    number: str, type_code: str
) -> None:
    assert has_valid_check_digits(number)
    msg = parse_message(unidentified_emergency_patient(number, type_code))
    assert msg.patient is not None and msg.patient.birth_date is None
    assert (msg.patient.family_name, msg.patient.sex) == ("Ukjent kvinne", "2")
    assert msg.patient.national_id == number
    check_business_rules(msg)  # no E36


def test_a_hjelpenummer_without_a_name_still_does_not_identify_the_patient() -> None:
    nameless = _edit(unidentified_emergency_patient(H_NUMBER, "HNR"), rb"<Name>[^<]*</Name>", b"")
    with pytest.raises(MessageError) as raised:
        check_business_rules(parse_message(nameless))
    assert raised.value.code == "E36"


def test_a_hjelpenummer_with_wrong_check_digits_does_not_identify_the_patient() -> None:
    wrong = H_NUMBER[:-1] + str((int(H_NUMBER[-1]) + 1) % 10)
    with pytest.raises(MessageError) as raised:
        check_business_rules(parse_message(unidentified_emergency_patient(wrong, "HNR")))
    assert raised.value.code == "E36"
