"""samflyt events without a KITH standard, and the NAV sick note.

**samflyt event format (draft, version 1.0).** A MsgHead v1.2 envelope like every other message
(sender, receiver, patient, MsgId, GenDate, ProcessingStatus for test traffic), so envelope
handling, AppRec and routing need nothing special. ``MsgInfo/Type`` carries a samflyt event type
(``SAMFLYT_KJ_KRITISK_INFO``, ``SAMFLYT_KJ_LEGEMIDDELENDRING``, ``SAMFLYT_BESOK_PLANLAGT``,
``SAMFLYT_BESOK_UTFORT``, ``SAMFLYT_ALARM``) with ``S="urn:samflyt:kodeverk:hendelsestype"`` —
deliberately not the 8279 OID, since these codes are not in kodeverk 8279. The content is one
``Hendelse`` element in namespace :data:`EVENT_NS`::

    <Hendelse xmlns="urn:samflyt:xmlstds:hendelse:1.0">
      <HendelseId>uuid</HendelseId>          the event's own id (document id for change/cancel)
      <Tidspunkt>2024-06-03T08:00:00</Tidspunkt>
      <Kilde>Kjernejournal</Kilde>           the producing system
      one of:
      <KritiskInformasjon><Type V="ALLERGI" DN=".."/><Alvorlighetsgrad V="HOY" DN=".."/>
        <Agens V="ATC" DN=".."/><Reaksjon>..</Reaksjon><Merknad>..</Merknad></KritiskInformasjon>
      <Legemiddelendring><Endring V="STARTET|SEPONERT|ENDRET" DN=".."/>
        <Legemiddel V="ATC" DN="name"/><Dosering>..</Dosering></Legemiddelendring>
      <Besok><Status V="PLANLAGT|UTFORT" DN=".."/><Tjeneste>..</Tjeneste><Start>..</Start>
        <Slutt>..</Slutt><Merknad>..</Merknad></Besok>
      <Alarm><Sensor V="FALL|DOR|SENG|TRYGGHET|KOMFYR" DN=".."/><Prioritet V="1" DN="Akutt"/>
        <Lokasjon>..</Lokasjon><Merknad>..</Merknad></Alarm>
    </Hendelse>

``Merknad`` may repeat (free text). Sick note: MsgHead + ``HelseOpplysningerArbeidsuforhet``
(namespace of NAV's sykmelding, 2013-10-01), a reduced but recognisable subset.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from streams.synthetic.messages._fill import FILL, finish
from streams.synthetic.messages._text import DRUGS, sentences
from streams.synthetic.messages._xml import Envelope, cv, esc, msghead, ts

__all__ = [
    "EVENT_NS",
    "EVENT_TYPE_S",
    "SYKMELDING_NS",
    "alarm",
    "critical_info",
    "medication_change",
    "sick_note",
    "visit",
]

EVENT_NS = "urn:samflyt:xmlstds:hendelse:1.0"
EVENT_TYPE_S = "urn:samflyt:kodeverk:hendelsestype"
SYKMELDING_NS = "http://www.kith.no/xmlstds/HelseOpplysningerArbeidsuforhet/2013-10-01"
_I = "\t\t\t\t\t"


def _merknad(rng: random.Random) -> str:
    return f"{_I}\t<Merknad>{esc(sentences(rng, 2))}</Merknad>\n"


def _event(
    env: Envelope,
    rng: random.Random,
    type_v: str,
    type_dn: str,
    event_id: str,
    source: str,
    when: datetime,
    inner: str,
    target_size: int | None,
) -> bytes:
    content = (
        f'\t\t\t\t<Hendelse xmlns="{EVENT_NS}">\n'
        f"{_I}<HendelseId>{event_id}</HendelseId>\n"
        f"{_I}<Tidspunkt>{ts(when)}</Tidspunkt>\n{_I}<Kilde>{esc(source)}</Kilde>\n"
        f"{inner}\t\t\t\t</Hendelse>\n"
    )
    doc = msghead(env, type_v, type_dn, content, type_s=EVENT_TYPE_S)
    return finish(doc, rng, target_size, _merknad)


_ALLERGENS = (
    ("J01CE02", "Fenoksymetylpenicillin", "Anafylaktisk reaksjon"),
    ("N02AA01", "Morfin", "Respirasjonsdepresjon"),
    ("M01AE01", "Ibuprofen", "Angioødem"),
    ("J01EE01", "Sulfametoksazol", "Utslett"),
)


def critical_info(
    env: Envelope, rng: random.Random, *, event_id: str, target_size: int | None = None
) -> bytes:
    """Kjernejournal: new critical information (a severe allergy) for the patient."""
    atc, name, reaction = rng.choice(_ALLERGENS)
    inner = (
        f"{_I}<KritiskInformasjon>\n{_I}\t{cv('Type', 'ALLERGI', 'Allergi')}\n"
        f"{_I}\t{cv('Alvorlighetsgrad', 'HOY', 'Alvorlig')}\n"
        f"{_I}\t{cv('Agens', atc, name, '2.16.578.1.12.4.1.1.7180')}\n"
        f"{_I}\t<Reaksjon>{reaction}</Reaksjon>\n{FILL}{_I}</KritiskInformasjon>\n"
    )
    return _event(
        env,
        rng,
        "SAMFLYT_KJ_KRITISK_INFO",
        "Endret kritisk informasjon",
        event_id,
        "Kjernejournal",
        env.gen_date,
        inner,
        target_size,
    )


def medication_change(
    env: Envelope, rng: random.Random, *, event_id: str, target_size: int | None = None
) -> bytes:
    """The patient's medication list changed (from e-resept / pasientens legemiddelliste)."""
    atc, name, strength, unit, dose = rng.choice(DRUGS)
    change = rng.choice((("STARTET", "Startet"), ("SEPONERT", "Seponert"), ("ENDRET", "Endret")))
    drug = cv("Legemiddel", atc, f"{name} {strength} {unit}", "2.16.578.1.12.4.1.1.7180")
    inner = (
        f"{_I}<Legemiddelendring>\n{_I}\t{cv('Endring', *change)}\n{_I}\t{drug}\n"
        f"{_I}\t<Dosering>{esc(dose)}</Dosering>\n{FILL}{_I}</Legemiddelendring>\n"
    )
    return _event(
        env,
        rng,
        "SAMFLYT_KJ_LEGEMIDDELENDRING",
        "Endret legemiddelliste",
        event_id,
        "Pasientens legemiddelliste",
        env.gen_date,
        inner,
        target_size,
    )


def visit(
    env: Envelope,
    rng: random.Random,
    *,
    event_id: str,
    completed: bool,
    target_size: int | None = None,
) -> bytes:
    """A home-care visit planned (for the citizen to see) or completed."""
    start = env.gen_date + (timedelta(hours=-1) if completed else timedelta(days=1, hours=2))
    status = ("UTFORT", "Utført") if completed else ("PLANLAGT", "Planlagt")
    service = rng.choice(
        ("Legemiddelhåndtering", "Sårstell", "Personlig hygiene", "Tilsyn", "Øyedråper")
    )
    inner = (
        f"{_I}<Besok>\n{_I}\t{cv('Status', *status)}\n"
        f"{_I}\t<Tjeneste>{service}</Tjeneste>\n{_I}\t<Start>{ts(start)}</Start>\n"
        f"{_I}\t<Slutt>{ts(start + timedelta(minutes=30))}</Slutt>\n{FILL}{_I}</Besok>\n"
    )
    type_v = "SAMFLYT_BESOK_UTFORT" if completed else "SAMFLYT_BESOK_PLANLAGT"
    dn = "Besøk utført" if completed else "Besøk planlagt"
    return _event(
        env, rng, type_v, dn, event_id, env.sender.display, env.gen_date, inner, target_size
    )


_SENSORS = (
    ("FALL", "Fallsensor"),
    ("DOR", "Dørsensor"),
    ("SENG", "Sengesensor"),
    ("TRYGGHET", "Trygghetsalarm"),
    ("KOMFYR", "Komfyrvakt"),
)


def alarm(
    env: Envelope, rng: random.Random, *, event_id: str, target_size: int | None = None
) -> bytes:
    """A welfare-technology alarm from the patient's home; always priority 1 (acute)."""
    sensor = rng.choice(_SENSORS)
    inner = (
        f"{_I}<Alarm>\n{_I}\t{cv('Sensor', *sensor)}\n{_I}\t{cv('Prioritet', '1', 'Akutt')}\n"
        f"{_I}\t<Lokasjon>{esc(env.patient.street if env.patient else 'Ukjent')}"
        f"</Lokasjon>\n{FILL}{_I}</Alarm>\n"
    )
    return _event(
        env,
        rng,
        "SAMFLYT_ALARM",
        "Velferdsteknologisk alarm",
        event_id,
        "Velferdsteknologisk knutepunkt",
        env.gen_date,
        inner,
        target_size,
    )


def sick_note(env: Envelope, rng: random.Random, *, target_size: int | None = None) -> bytes:
    """A sick note GP → NAV (``SYKMELDING``), a reduced ``HelseOpplysningerArbeidsuforhet``."""
    start = env.gen_date.date()
    days = rng.randint(3, 21)
    content = (
        f'\t\t\t\t<HelseOpplysningerArbeidsuforhet xmlns="{SYKMELDING_NS}">\n'
        f"{_I}<SyketilfelleStartDato>{start.isoformat()}</SyketilfelleStartDato>\n"
        f"{_I}<MedisinskVurdering>\n{_I}\t<HovedDiagnose>\n"
        f"{_I}\t\t{cv('Diagnosekode', 'L03', 'Korsryggsmerter', '2.16.578.1.12.4.1.1.7170')}\n"
        f"{_I}\t</HovedDiagnose>\n{_I}</MedisinskVurdering>\n"
        f"{_I}<Aktivitet>\n{_I}\t<Periode>\n"
        f"{_I}\t\t<PeriodeFOMDato>{start.isoformat()}</PeriodeFOMDato>\n"
        f"{_I}\t\t<PeriodeTOMDato>{(start + timedelta(days=days)).isoformat()}</PeriodeTOMDato>\n"
        f"{_I}\t\t<AktivitetIkkeMulig>\n{_I}\t\t\t<MedisinskeArsaker>\n"
        f"{_I}\t\t\t\t<Beskriv>{esc(sentences(rng, 1))}</Beskriv>{FILL}\n"
        f"{_I}\t\t\t</MedisinskeArsaker>\n{_I}\t\t</AktivitetIkkeMulig>\n"
        f"{_I}\t</Periode>\n{_I}</Aktivitet>\n"
        "\t\t\t\t</HelseOpplysningerArbeidsuforhet>\n"
    )  # fmt: skip
    return finish(
        msghead(env, "SYKMELDING", "Sykmelding", content),
        rng,
        target_size,
        lambda r: " " + esc(sentences(r, 2)),
    )
