"""Strict mode (``parse_message(strict=True)``) on variants of corpus samples: documents that
embed other documents, and the standards whose schemas are vendored beside the corpus's.

Every identifier is fictitious or a corpus sample's own."""

from __future__ import annotations

import re

import pytest

from schemas.errors import MessageError
from schemas.xml import parse_message
from tests.unit.xml.conftest import sample

FORESPORSEL = sample("sarepta/dialogmelding-1.0/Dialogmelding_foresporsel_PLO_v1-0.xml")
SVAR_BIOKJEMI = sample("sarepta/svarrapport-1.4/Svar_biokjemi_v1-4_Ny.xml")
BASE64_NS = "http://www.kith.no/xmlstds/base64container"
PDF = f'<Base64Container xmlns="{BASE64_NS}">JVBERi0xLjQKJcfsj6IK</Base64Container>'.encode()


def _edit(data: bytes, pattern: bytes, replacement: bytes) -> bytes:
    edited, count = re.subn(pattern, replacement, data, count=1, flags=re.DOTALL)
    assert count == 1, pattern
    return edited


def test_a_result_with_a_pdf_in_its_refdoc_validates() -> None:
    ref_doc = (
        b'<RefDoc><MsgType V="A" DN="Vedlegg"/><MimeType>application/pdf</MimeType>'
        b"<Content>" + PDF + b"</Content></RefDoc>"
    )
    # RefDoc follows the report's Comment (and CodedComment), before ServReq
    with_pdf = _edit(SVAR_BIOKJEMI, rb"(<Comment>Kontroll</Comment>)", rb"\1" + ref_doc)
    msg = parse_message(with_pdf, strict=True)
    assert msg.standard == "svarrapport"


def test_a_dialogue_whose_content_carries_a_pdf_beside_the_message_validates() -> None:
    # MsgHead's own schema imports Base64Container; this stays so when more namespaces load
    with_pdf = _edit(FORESPORSEL, rb"(</Dialogmelding>)", rb"\1" + PDF)
    msg = parse_message(with_pdf, strict=True)
    assert msg.standard == "dialogmelding"


def test_an_invalid_embedded_document_is_still_t02() -> None:
    not_base64 = PDF.replace(b"JVBERi0xLjQKJcfsj6IK", b"<Pdf/>")
    with_bad_pdf = _edit(FORESPORSEL, rb"(</Dialogmelding>)", rb"\1" + not_base64)
    with pytest.raises(MessageError) as raised:
        parse_message(with_bad_pdf, strict=True)
    assert raised.value.code == "T02" and "Base64Container" in raised.value.detail
