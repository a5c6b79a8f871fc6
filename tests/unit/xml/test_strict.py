"""Strict mode (``parse_message(strict=True)``) on variants of corpus samples: documents that
embed other documents, the NAV and e-resept documents whose public schemas are vendored beside
the corpus's, and a document with no schema at all.

Every identifier is fictitious or a corpus sample's own."""

from __future__ import annotations

import re

import pytest

from schemas.errors import MessageError
from schemas.xml import parse_message
from schemas.xml.parse import NOT_SCHEMA_VALIDATED
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


# Minimal documents that satisfy their public schemas (synthetic: a Tenor test person, HPR and
# HER-ids of the test range)
SICK_NOTE = b"""<HelseOpplysningerArbeidsuforhet
  xmlns="http://www.kith.no/xmlstds/HelseOpplysningerArbeidsuforhet/2013-10-01"
  xmlns:fk1="http://www.kith.no/xmlstds/felleskomponent1">
 <SyketilfelleStartDato>2024-03-01</SyketilfelleStartDato>
 <Pasient><Navn><Etternavn>Testperson</Etternavn><Fornavn>Kari</Fornavn></Navn>
  <Fodselsnummer><fk1:Id>14888312308</fk1:Id><fk1:TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116"/>
  </Fodselsnummer></Pasient>
 <Arbeidsgiver><HarArbeidsgiver V="1" DN="En arbeidsgiver"/></Arbeidsgiver>
 <MedisinskVurdering><HovedDiagnose><Diagnosekode V="L87" S="2.16.578.1.12.4.1.1.7170"/>
 </HovedDiagnose></MedisinskVurdering>
 <Aktivitet><Periode><PeriodeFOMDato>2024-03-01</PeriodeFOMDato>
  <PeriodeTOMDato>2024-03-14</PeriodeTOMDato><AktivitetIkkeMulig/></Periode></Aktivitet>
 <KontaktMedPasient><BehandletDato>2024-03-01T10:00:00</BehandletDato></KontaktMedPasient>
 <Behandler><Navn><Etternavn>Lege</Etternavn><Fornavn>Test</Fornavn></Navn>
  <Id><fk1:Id>9000001</fk1:Id><fk1:TypeId V="HPR" S="2.16.578.1.12.4.1.1.8116"/></Id>
  <Adresse/><KontaktInfo><fk1:TeleAddress V="tel:12345678"/></KontaktInfo></Behandler>
 <AvsenderSystem><SystemNavn>EPJ</SystemNavn><SystemVersjon>1</SystemVersjon></AvsenderSystem>
 <Strekkode>1</Strekkode>
</HelseOpplysningerArbeidsuforhet>"""
LEGEERKLAERING = b"""<Legeerklaring xmlns="http://www.kith.no/xmlstds/legeerklaring/2008-06-06">
 <LegeerklaringGjelder typeLegeerklaring="1"/>
 <Pasientopplysninger flereArbeidsforhold="2"><Pasient fodselsnummer="14888312308"
  trygdekontor="0301"><Navn><Etternavn>Testperson</Etternavn><Fornavn>Kari</Fornavn></Navn>
 </Pasient></Pasientopplysninger>
 <DiagnoseArbeidsuforhet><DiagnoseKodesystem kodesystem="1">
  <Enkeltdiagnose kodeverdi="L87" sortering="1"/></DiagnoseKodesystem>
  <VurderingYrkesskade borVurderes="2"/><StatusPresens>Uendret</StatusPresens>
  <SymptomerBehandling>Smerter</SymptomerBehandling></DiagnoseArbeidsuforhet>
 <ForslagTiltak><Opplysninger>Ingen</Opplysninger>
  <BegrunnelseIkkeTiltak>Ikke aktuelt</BegrunnelseIkkeTiltak></ForslagTiltak>
 <VurderingFunksjonsevne><Arbeidssituasjon arbeidssituasjon="1"/></VurderingFunksjonsevne>
 <Prognose bedreArbeidsevne="1"/>
 <ForbeholdLegeerklaring/>
</Legeerklaring>"""
PRESCRIPTION = b"""<Resept xmlns="http://www.kith.no/xmlstds/eresept/m1/2013-10-08"
  xmlns:fs="http://www.kith.no/xmlstds/eresept/forskrivning/2013-10-08">
 <Forskrivningsdato>2024-03-01</Forskrivningsdato><Utloper>2025-03-01</Utloper>
 <ReseptDokLegemiddel><Varegruppekode V="L" DN="Legemiddel"/><Reiterasjon>3</Reiterasjon>
  <fs:Forskrivning><fs:DosVeiledEnkel>1 tablett daglig</fs:DosVeiledEnkel>
   <fs:LegemiddelVirkestoff><fs:Atc V="C10AA01" S="2.16.578.1.12.4.1.1.7180"/>
    <fs:NavnFormStyrke>Simvastatin tab 20 mg</fs:NavnFormStyrke>
    <fs:Reseptgruppe V="C"/><fs:Id>ID_1</fs:Id></fs:LegemiddelVirkestoff></fs:Forskrivning>
 </ReseptDokLegemiddel>
 <OppdatertFest>2024-03-01T00:00:00</OppdatertFest>
</Resept>"""
CLAIM = b"""<BehandlerKrav xmlns="http://www.kith.no/xmlstds/bkm/2006-12-20">
 <Enkeltregning><RegningNr>1</RegningNr></Enkeltregning>
 <Krav><AntallRegninger>1</AntallRegninger><SumKravSamlet V="350" U="NOK"/></Krav>
</BehandlerKrav>"""
DOCUMENTS = {
    "sick-note": (SICK_NOTE, b"<Strekkode>1</Strekkode>"),
    "legeerklaering": (LEGEERKLAERING, b'<Prognose bedreArbeidsevne="1"/>'),
    "e-resept-m1": (PRESCRIPTION, b"<OppdatertFest>2024-03-01T00:00:00</OppdatertFest>"),
    "behandlerkrav": (CLAIM, b"<AntallRegninger>1</AntallRegninger>"),
}


def _carrying(document: bytes) -> bytes:
    """The corpus dialogue message with ``document`` in place of its Dialogmelding."""
    return _edit(FORESPORSEL, rb"<Dialogmelding .*?</Dialogmelding>", document)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_nav_and_e_resept_documents_are_validated_against_their_public_schemas(name: str) -> None:
    document, _ = DOCUMENTS[name]
    msg = parse_message(_carrying(document), strict=True)
    assert NOT_SCHEMA_VALIDATED not in msg.body


@pytest.mark.parametrize("name", DOCUMENTS)
def test_a_nav_or_e_resept_document_missing_a_required_element_is_t02(name: str) -> None:
    document, required = DOCUMENTS[name]
    assert required in document
    with pytest.raises(MessageError) as raised:
        parse_message(_carrying(document.replace(required, b"")), strict=True)
    assert raised.value.code == "T02"


def test_a_prescription_renewal_carrying_the_prescription_validates_both() -> None:
    # helsenorge's renewal request: the dialogue message, then the prescription in a Document
    prescription = (
        b'<Document><RefDoc><MsgType V="XML"/><Content>' + PRESCRIPTION + b"</Content></RefDoc>"
        b"</Document>"
    )
    renewal = _edit(FORESPORSEL, rb"(</Document>)", rb"\1" + prescription)
    msg = parse_message(renewal, strict=True)
    assert msg.body["other_documents"] == "1" and NOT_SCHEMA_VALIDATED not in msg.body
    broken = renewal.replace(b"<Utloper>2025-03-01</Utloper>", b"")
    with pytest.raises(MessageError) as raised:
        parse_message(broken, strict=True)
    assert raised.value.code == "T02" and "Utloper" in raised.value.detail


M252 = sample("sarepta/eresept/M252_Fra_RF_til_epj.xml")  # no public schema vendored for M25.2
M252_DOCUMENT = "{http://www.kith.no/xmlstds/eresept/m252/2013-10-08}LegemidlerIBruk"


def test_a_document_without_a_schema_is_named_and_the_envelope_still_validated() -> None:
    msg = parse_message(M252, strict=True)
    assert msg.body[NOT_SCHEMA_VALIDATED] == M252_DOCUMENT
    assert NOT_SCHEMA_VALIDATED not in parse_message(M252).body  # lenient mode checks nothing
    bad_envelope = _edit(M252, rb"<MIGversion>[^<]*</MIGversion>", b"")
    with pytest.raises(MessageError) as raised:
        parse_message(bad_envelope, strict=True)
    assert raised.value.code == "T02" and "MIGversion" in raised.value.detail
