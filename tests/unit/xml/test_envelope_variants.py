"""Envelope variants of published examples and acceptance tests, on synthetic minimal messages:
a party whose only HER-id is the professional's, and messages that by design name no patient.

Every identifier is fictitious: HER-ids 900001 to 900004, organisation number 910000004 (valid
check digit) and a Tenor test person (month + 80) with valid check digits.
"""

from __future__ import annotations

import pytest

from schemas.errors import MessageError
from schemas.model import HeaderFamily
from schemas.xml import parse_message
from schemas.xml.rules import check_business_rules

MH = "http://www.kith.no/xmlstds/msghead/2006-05-24"
DIALOG_10 = "http://www.kith.no/xmlstds/dialog/2006-10-11"
DIALOG_11 = "http://www.kith.no/xmlstds/dialog/2013-01-23"
EPIKRISE_12 = "http://www.kith.no/xmlstds/epikrise/2012-02-15"
ORG_NO = "910000004"
TEST_PERSON = "14888312308"  # Tenor: 14.08.1983, valid check digits


def _ident(value: str, kind: str) -> str:
    return f'<Ident><Id>{value}</Id><TypeId V="{kind}" DN="{kind}"/></Ident>'


def _organisation(name: str, idents: str, professional_her: str | None = None) -> str:
    professional = ""
    if professional_her:
        professional = (
            "<HealthcareProfessional><FamilyName>Lege</FamilyName><GivenName>Test</GivenName>"
            f"{_ident(professional_her, 'HER')}</HealthcareProfessional>"
        )
    return (
        f"<Organisation><OrganisationName>{name}</OrganisationName>{idents}{professional}"
        "</Organisation>"
    )


PATIENT = (
    "<Patient><FamilyName>Testperson</FamilyName><GivenName>Kari</GivenName>"
    f"{_ident(TEST_PERSON, 'FNR')}</Patient>"
)


def _msghead(
    msg_type: str,
    document: str,
    *,
    sender: str | None = None,
    receiver: str | None = None,
    patient: str = PATIENT,
) -> bytes:
    sender = sender or _organisation("Legekontor", _ident("900001", "HER"))
    receiver = receiver or _organisation("Sykehus", _ident("900002", "HER"))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><MsgHead xmlns="{MH}"><MsgInfo>'
        f'<Type V="{msg_type}" DN="{msg_type}"/><MIGversion>v1.2 2006-05-24</MIGversion>'
        "<GenDate>2024-03-01T10:00:00</GenDate>"
        "<MsgId>6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f</MsgId>"
        f"<Sender>{sender}</Sender><Receiver>{receiver}</Receiver>{patient}</MsgInfo>"
        '<Document><RefDoc><MsgType V="XML"/><Content>'
        f"{document}</Content></RefDoc></Document></MsgHead>"
    ).encode()


NOTAT = f'<Dialogmelding xmlns="{DIALOG_10}"><Notat><TemaKodet V="1"/></Notat></Dialogmelding>'


def test_an_organisation_known_only_by_org_no_is_addressed_by_its_professionals_her_id() -> None:
    msg = parse_message(
        _msghead(
            "DIALOG_NOTAT",
            NOTAT,
            sender=_organisation("Legekontor", _ident(ORG_NO, "ENH"), "900003"),
            receiver=_organisation("Legesenter", _ident(ORG_NO, "ENH"), "900004"),
        )
    )
    assert (msg.sender.her_id, msg.receiver.her_id) == ("900003", "900004")
    assert msg.sender.org_her_id is None and msg.sender.org_no == ORG_NO


def test_an_organisations_own_her_id_stays_the_address_when_the_professional_has_one() -> None:
    msg = parse_message(
        _msghead(
            "DIALOG_NOTAT",
            NOTAT,
            receiver=_organisation("Legesenter", _ident("900002", "HER"), "900004"),
        )
    )
    assert msg.receiver.her_id == "900002"
    assert msg.receiver.person is not None and msg.receiver.person.her_id == "900004"


def test_an_epikrise_requester_known_by_the_doctors_additional_her_id_is_its_receiver() -> None:
    data = (
        f'<?xml version="1.0" encoding="UTF-8"?><Message xmlns="{EPIKRISE_12}">'
        '<Type V="EPIKRISE" DN="Epikrise"/><MIGversion>v1.2 2012-02-15</MIGversion>'
        '<GenDate V="2024-03-01T10:00:00"/><MsgId>0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d</MsgId>'
        '<ServRprt><ServType V="N"/><ServProvId>1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e</ServProvId>'
        '<ServProvider><HCP><Inst><Name>Sykehus</Name><Id>900001</Id><TypeId V="HER"/>'
        "</Inst></HCP></ServProvider>"
        f'<Requester><HCP><Inst><Name>Legesenter</Name><Id>{ORG_NO}</Id><TypeId V="ENH"/>'
        '<HCPerson><Name>Test Lege</Name><Id>9000001</Id><TypeId V="HPR"/>'
        '<AdditionalId><Id>900004</Id><Type V="HER"/></AdditionalId></HCPerson>'
        "</Inst></HCP></Requester>"
        f"<Patient><Name>Testperson, Kari</Name><OffId>{TEST_PERSON}</OffId>"
        '<TypeOffId V="FNR"/></Patient></ServRprt></Message>'
    ).encode()
    msg = parse_message(data)
    assert msg.family is HeaderFamily.MESSAGE
    assert (msg.sender.her_id, msg.receiver.her_id) == ("900001", "900004")
    assert msg.receiver.org_no == ORG_NO


def _digital_user_check(document: str, patient: str = "") -> bytes:
    return _msghead("DIALOG_INNBYGGER_DIGITALBRUKER", document, patient=patient)


DIGITAL_USER_QUESTION = (
    f'<Dialogmelding xmlns="{DIALOG_11}"><Foresporsel><TypeForesp V="SIDAB"/></Foresporsel>'
    "</Dialogmelding>"
)
DIGITAL_USER_ANSWER = (
    f'<Dialogmelding xmlns="{DIALOG_11}"><Notat><TemaKodet V="29"/></Notat></Dialogmelding>'
)


@pytest.mark.parametrize("document", [DIGITAL_USER_QUESTION, DIGITAL_USER_ANSWER])
def test_the_check_of_which_citizens_are_digital_users_needs_no_header_patient(
    document: str,
) -> None:
    msg = parse_message(_digital_user_check(document))
    assert msg.patient is None
    check_business_rules(msg)


def test_a_digital_user_notice_that_names_a_patient_is_still_checked() -> None:
    bad = (
        "<Patient><FamilyName>Testperson</FamilyName>"
        f"{_ident(TEST_PERSON[:-1] + '9', 'FNR')}</Patient>"
    )
    with pytest.raises(MessageError) as info:
        check_business_rules(parse_message(_digital_user_check(DIGITAL_USER_QUESTION, bad)))
    assert info.value.code == "E31"


def test_a_notice_of_an_error_in_a_received_message_needs_no_patient() -> None:
    avvik = (
        f'<Dialogmelding xmlns="{DIALOG_10}"><Notat><TemaKodet V="2"/>'
        "<TekstNotatInnhold>Feil adressat</TekstNotatInnhold></Notat></Dialogmelding>"
    )
    check_business_rules(parse_message(_msghead("DIALOG_AVVIK", avvik, patient="")))


def test_an_ordinary_note_without_a_patient_is_still_e36() -> None:
    with pytest.raises(MessageError) as info:
        check_business_rules(parse_message(_msghead("DIALOG_NOTAT", NOTAT, patient="")))
    assert info.value.code == "E36"
