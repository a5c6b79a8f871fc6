from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.model import HeaderFamily
from schemas.xml import parse_message
from schemas.xml.apprec import AppRecStatus, build_apprec, receipts_for
from schemas.xml.errors import BusinessRuleError
from schemas.xml.safe import parse_bytes
from schemas.xml.xsd import validate
from tests.unit.xml.conftest import CORPUS, sample

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MESSAGES = sorted(
    str(p.relative_to(CORPUS))
    for p in CORPUS.rglob("*.xml")
    if "registries" not in str(p)
    and "ebxml" not in str(p)
    and "app-rec/" not in str(p)
    and "invalid-version" not in str(p)
    and "apprec-1.0" not in str(p)
    and "Case1-13b" not in p.name  # no sender: refused before any receipt (test_corpus)
)


@pytest.mark.parametrize("rel", MESSAGES)
@pytest.mark.parametrize("status", ["ok", "rejected", "ok-errors-in-parts"])
def test_receipts_validate_and_parse_back(rel: str, status: str) -> None:
    msg = parse_message(sample(rel))
    errors = [] if status == "ok" else [BusinessRuleError("bad id", code="E10")]
    receipts = receipts_for(msg, status, errors, now=NOW)
    assert len(receipts) == 1 + len(msg.copy_receivers)
    for (_, data), party in zip(receipts, [msg.receiver, *msg.copy_receivers], strict=True):
        validate(parse_bytes(data))
        back = parse_message(data)
        assert back.family is HeaderFamily.APPREC
        assert back.related_request_id == msg.message_id
        assert back.body["original_msg_type"] == msg.msg_type
        assert back.body["status"] == AppRecStatus.parse(status).value
        assert back.sender.her_id == party.her_id
        assert back.receiver.her_id == msg.sender.her_id


def test_version_follows_incoming_standard_and_roles() -> None:
    plo15 = parse_message(
        sample(
            "sarepta/acceptance-tests/plo-1.5-innleggelsesrapport-mottak/Case1-20a-Innleggelsesrapport-v1_5.xml"
        )
    )
    receipts = receipts_for(plo15, AppRecStatus.OK, ids=["a", "b"], now=NOW)
    assert [parse_message(b).message_id for _, b in receipts] == ["a", "b"]
    assert b"apprec/2004-11-21" in receipts[0][1] and b'<Role V="COP"/>' in receipts[1][1]
    epikrise = parse_message(sample("sarepta/epikrise-1.2/epikrise_v1.2_n.xml"))
    data = build_apprec(epikrise, "rejected", ["E35"], apprec_id="x", now=NOW)
    back = parse_message(data)
    assert back.standard_version == "1.1"
    assert back.body["sender_role"] == "PRIM" and back.body["receiver_role"] == "AVS"
    assert back.body["errors"] == "E35"
    assert back.receiver.her_id == "94866"  # the epikrise's ServProvider department


def test_deterministic_output() -> None:
    msg = parse_message(sample("sarepta/dialogmelding-1.1/Helsefaglig_dialog.xml"))
    one = build_apprec(msg, "ok", apprec_id="00000000-0000-0000-0000-000000000001", now=NOW)
    two = build_apprec(msg, "ok", apprec_id="00000000-0000-0000-0000-000000000001", now=NOW)
    assert one == two


def test_no_receipt_for_an_apprec() -> None:
    msg = parse_message(sample("ks-no_fiks-nhn-client/app-rec/1.1/all-data.xml"))
    assert receipts_for(msg, "ok") == []


@pytest.mark.parametrize("status", ["rejected", "ok-errors-in-parts"])
def test_a_receipt_that_is_not_ok_must_name_an_error(status: str) -> None:
    msg = parse_message(sample(MESSAGES[0]))
    with pytest.raises(ValueError, match="at least one error"):
        build_apprec(msg, status, [], now=NOW)
    assert b'V="X99"' in build_apprec(msg, status, ["X99"], now=NOW)
