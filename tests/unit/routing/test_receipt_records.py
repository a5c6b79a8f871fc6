"""Receipt records: one per recognised receiver, each carrying the id of its own AppRec."""

from __future__ import annotations

import uuid

from lxml import etree

from schemas.model import Party
from schemas.xml.apprec import AppRecStatus
from schemas.xml.errors import BusinessRuleError
from streams.stages.receipts import receipt_records
from tests.unit.avro.samples import GP_OFFICE, HOSPITAL, LAB, message

MSG = message("INNLEGGELSESRAPPORT", "plo", copy_receivers=(HOSPITAL, LAB))


def _xml_id(xml: bytes) -> uuid.UUID:
    root = etree.fromstring(xml)
    return uuid.UUID(root.findtext(f"{{{root.nsmap[None]}}}Id"))


def test_each_receipt_id_is_the_id_of_its_apprec() -> None:
    records = receipt_records(MSG, AppRecStatus.OK, patient_key="k", traceparent=None)
    assert [r["sender"]["org_her_id"] for r in records] == ["8200001", "8300001", "8400001"]
    assert [r["receipt_id"] for r in records] == [_xml_id(r["apprec_xml"]) for r in records]
    assert len({r["receipt_id"] for r in records}) == 3


def test_ids_stay_with_their_apprec_when_a_receiver_is_not_ours() -> None:
    def ours(party: Party) -> bool:
        return party is not HOSPITAL

    records = receipt_records(MSG, AppRecStatus.OK, patient_key="k", traceparent=None, is_ours=ours)
    assert [r["sender"]["org_her_id"] for r in records] == ["8200001", "8400001"]
    assert [r["receipt_id"] for r in records] == [_xml_id(r["apprec_xml"]) for r in records]


def test_receipts_of_a_message_processed_again_have_the_same_ids() -> None:
    first = receipt_records(MSG, AppRecStatus.OK, patient_key="k", traceparent=None)
    again = receipt_records(MSG, AppRecStatus.OK, patient_key="k", traceparent=None)
    rejected = receipt_records(
        MSG,
        AppRecStatus.REJECTED,
        [BusinessRuleError("unknown", code="E21")],
        patient_key="k",
        traceparent=None,
    )
    assert [r["receipt_id"] for r in first] == [r["receipt_id"] for r in again]
    assert not {r["receipt_id"] for r in first} & {r["receipt_id"] for r in rejected}
    assert GP_OFFICE.her_id == first[0]["sender"]["her_id"]


def _xml_role(xml: bytes) -> str | None:
    root = etree.fromstring(xml)
    role = root.find(f"{{{root.nsmap[None]}}}Sender/{{{root.nsmap[None]}}}Role")
    return None if role is None else role.get("V")


def test_the_record_names_the_role_its_apprec_xml_writes() -> None:
    for msg in (
        MSG,  # PLO (AppRec 1.1: PRIM, COP)
        message(  # AppRec 1.0: no role for the primary receiver
            "DIALOG_FORESPORSEL", "dialogmelding", standard_version="1.0", copy_receivers=(LAB,)
        ),
        message("SVAR_LAB", "svarrapport", standard_version="1.4", copy_receivers=(HOSPITAL,)),
    ):
        records = receipt_records(msg, AppRecStatus.OK, patient_key="k", traceparent=None)
        assert [r["sender_role"] for r in records] == [_xml_role(r["apprec_xml"]) for r in records]
        assert records[-1]["sender_role"] == "COP"  # the copy receiver's


def test_a_receiver_also_listed_as_copy_receiver_gets_one_apprec() -> None:
    doubled = message("INNLEGGELSESRAPPORT", "plo", copy_receivers=(GP_OFFICE, LAB))
    assert doubled.receiver.her_id == GP_OFFICE.her_id
    records = receipt_records(doubled, AppRecStatus.OK, patient_key="k", traceparent=None)
    assert [r["sender"]["her_id"] for r in records] == [GP_OFFICE.her_id, LAB.her_id]
