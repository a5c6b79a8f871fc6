"""Every vendored sample parses, or is rejected for the documented reason."""

from __future__ import annotations

import csv

import pytest

from schemas.errors import MessageError
from schemas.model import Action, HeaderFamily
from schemas.xml import parse_message
from schemas.xml.parse import NOT_SCHEMA_VALIDATED
from schemas.xml.rules import check_business_rules
from tests.unit.xml.conftest import CORPUS, sample

ALL = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.xml"))
# not messages (register SOAP responses, ebXML transport) or headers without type/id
REJECTED = {
    "ks-no_fiks-nhn-client/app-rec/missing-migversion.xml": "T02",
    "ks-no_fiks-nhn-client/app-rec/unknown-migversion.xml": "T02",
    "ks-no_fiks-nhn-client/dialogmelding/invalid-version.xml": "T02",
    # every element under Sender removed: no receipt can be addressed to nobody
    "sarepta/acceptance-tests/plo-1.5-innleggelsesrapport-mottak/"
    "Case1-13b-Innleggelsesrapport-v1_5.xml": "T02",
}
REJECTED.update({p: "T10" for p in ALL if "/registries/" in p or "/ebxml/" in p})
VALIDATION = list(
    csv.DictReader((CORPUS / "VALIDATION.tsv").read_text().splitlines(), delimiter="\t")
)
PLO15 = "sarepta/acceptance-tests/plo-1.5-innleggelsesrapport-mottak/"


@pytest.mark.parametrize("rel", ALL)
def test_sample_parses_or_is_rejected_for_its_reason(rel: str) -> None:
    data = sample(rel)
    if rel in REJECTED:
        with pytest.raises(MessageError) as info:
            parse_message(data)
        assert info.value.code == REJECTED[rel]
        return
    msg = parse_message(data)
    assert msg.message_id == msg.message_id.strip().lower()
    assert msg.msg_type and msg.standard and msg.raw is data
    assert msg.generated_at.tzinfo is not None


@pytest.mark.parametrize("row", VALIDATION, ids=lambda r: r["sample"])
def test_strict_mode_agrees_with_the_public_schemas(row: dict[str, str]) -> None:
    data = sample(row["sample"])
    if row["result"] == "VALID":
        parse_message(data, strict=True)
    elif "/eresept/" in row["sample"]:
        # invalid only for want of their payload schemas (M25.2, M7: only M1's are vendored):
        # strict mode validates the envelope and names the document it could not check
        msg = parse_message(data, strict=True)
        assert msg.body[NOT_SCHEMA_VALIDATED] in row["detail"]
    else:
        with pytest.raises(MessageError) as info:
            parse_message(data, strict=True)
        assert info.value.code == "T02"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("Case1-Innleggelsesrapport-v1_5.xml", None),
        ("Case1-11a-Innleggelsesrapport-v1_5.xml", "E36"),  # no name, no id
        ("Case1-11b-Innleggelsesrapport-v1_5.xml", None),  # H-nummer + name + birth date + sex
        ("Case1-14a-Innleggelsesrapport-v1_5.xml", "E30"),  # fnr removed
        ("Case1-14b-Innleggelsesrapport-v1_5.xml", "E31"),  # "c14" instead of fnr, bogus OID
        ("Case1-15a-Innleggelsesrapport-v1_5.xml", None),  # schema-invalid only (T02 strict)
        ("Case1-19-Innleggelsesrapport-v1_5.xml", None),
        ("Case1-20a-Innleggelsesrapport-v1_5.xml", None),
        ("case1-18-innleggelsesrapport-v1_5.xml", "E21"),  # department with local id only
        ("Case1-21-Innleggelsesrapport-v1_5.xml", "E21"),
    ],
)
def test_plo_acceptance_cases(case: str, code: str | None) -> None:
    msg = parse_message(sample(PLO15 + case))
    if code is None:
        check_business_rules(msg, receiver_known=lambda her: True)
        return
    with pytest.raises(MessageError) as info:
        check_business_rules(msg, receiver_known=lambda her: True)
    assert info.value.code == code
    assert "13116900216" not in info.value.detail


def test_masked_detail_for_invalid_national_id() -> None:
    msg = parse_message(sample("navikt_padm2/dialogmelding_dialog_svar_foresporsel_om_pasient.xml"))
    assert msg.body["wrapper"] == "EI_fellesformat"
    with pytest.raises(MessageError) as info:
        check_business_rules(msg)
    assert info.value.code == "E31" and "3143242342" not in info.value.detail


def test_unknown_receiver_is_configurable() -> None:
    msg = parse_message(sample("sarepta/plo-1.6/Innleggelsesrapport_v1-6_Ny.xml"))
    check_business_rules(msg, receiver_known=lambda her: False, reject_unknown_receiver=False)
    with pytest.raises(MessageError, match="not known") as info:
        check_business_rules(msg, receiver_known=lambda her: False)
    assert info.value.code == "E21"


def test_svarrapport_fields() -> None:
    msg = parse_message(sample("sarepta/svarrapport-1.4/Svar_biokjemi_v1-4_Endring.xml"))
    assert msg.family is HeaderFamily.MESSAGE
    assert (msg.msg_type, msg.standard, msg.standard_version) == ("SVAR_LAB", "svarrapport", "1.4")
    assert msg.action is Action.CHANGE
    assert msg.body["result_category"] == "CLIN"
    assert msg.related_request_id == "e312fde3-66aa-40da-bec7-26abf4d29e82"
    assert msg.sender.her_id == "91126" and msg.receiver.org_her_id == "56704"
    actions = {o.code: o.action for o in msg.observations}
    assert actions["NOR05863"] is Action.CANCEL and actions["NOR05172"] is Action.CHANGE
    lh = next(o for o in msg.observations if o.code == "NOR05857")
    assert (lh.value, lh.unit, lh.abnormal) == ("14", "IU/L", True)


def test_epikrise_links_to_referral_and_is_test() -> None:
    msg = parse_message(sample("sarepta/epikrise-1.2/epikrise_v1.2_m.xml"))
    assert msg.is_test and msg.action is Action.CHANGE
    assert msg.document_id == "b9270660-4567-11e7-9598-0800200c9a66"
    assert msg.related_request_id == "fdebda50-4567-11e7-9598-0800200c9a66"
    assert msg.receiver.person is not None and msg.receiver.person.her_id == "91439"
    assert [c.unit_her_id for c in msg.copy_receivers] == ["95136"]


def test_msghead_fields() -> None:
    msg = parse_message(
        sample("sarepta/plo-1.6/Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml")
    )
    assert msg.msg_type == "LOG_UTSKRIVNINGSKLAR" and msg.standard_version == "1.6"
    assert msg.body["logistics_kind"] == "MeldingUtskrivningsklarPasient"
    dialog = parse_message(sample("sarepta/dialogmelding-1.1/Helsefaglig_dialog.xml"))
    assert dialog.body["theme_code"] == "6" and dialog.body["attachments"] == "1"
    assert dialog.conversation_id == "d14ea2f3-d796-4d7b-8271-a4480d2b4035"
    referral = parse_message(
        sample("sarepta/henvisning-2.0/Henvisning_ny_tilstand_v2-0_Kansellering.xml")
    )
    assert referral.action is Action.CANCEL
    assert referral.document_id == "cf4efb50-3198-11e8-b566-0800200c9a66"
    assert referral.priority == "N"


def test_legacy_type_codes_are_normalised() -> None:
    msg = parse_message(sample("sarepta/epikrise-1.1/epikrise_v1.1_n.xml"))
    assert msg.msg_type == "EPIKRISE" and msg.standard_version == "1.1"


def test_lenient_apprec() -> None:
    msg = parse_message(sample("sarepta/apprec-1.0/NPR_apprec-eksempel.xml"))
    assert msg.family is HeaderFamily.APPREC
    assert msg.body["status"] == "3" and msg.body["errors"].startswith("53,")
    assert msg.related_request_id == "1b08b3f5-76c1-4560-ae4e-90e04cb0bc70"
