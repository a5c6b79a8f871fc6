"""PLO 1.6 messages in MsgHead (pleie og omsorg), element order as in the official examples.

The document id of a PLO message is its conversation: a change (``M``) or cancel (``C``) carries
``ConversationRef/RefToConversation`` = the first message's MsgId (HISD 1154 §4.2) and
``Forsendelsesstatus`` M/C. Pasientlogistikk, Helseopplysninger til lege and Medisinske
opplysninger allow N/C only.
"""

from __future__ import annotations

import random
from datetime import timedelta

from streams.synthetic.messages._fill import FILL, finish
from streams.synthetic.messages._text import DIAGNOSES_ICD10, DIAGNOSES_ICPC2, DRUGS, sentences
from streams.synthetic.messages._xml import Envelope, cv, esc, msghead, ts

__all__ = [
    "helseopplysninger_lege",
    "innleggelsesrapport",
    "medisinske_opplysninger",
    "utskrivningsklar",
    "utskrivningsrapport",
]

_PO = "http://www.kith.no/xmlstds/po"
_NSDECL = (
    ' xmlns:epj1="http://www.kith.no/xmlstds/epj/epj1/2008-02-20"'
    ' xmlns:epj2="http://www.kith.no/xmlstds/epj/epj2/2008-02-20"'
    ' xmlns:epj3="http://www.kith.no/xmlstds/epj/epj3/2008-02-20"'
    ' xmlns:m1="http://www.kith.no/xmlstds/epj/meta/2008-02-20"'
    ' xmlns:fk1="http://www.kith.no/xmlstds/felleskomponent1"'
    f' xmlns="{_PO}/poKomponent/2012-04-01"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
_ACTION_DN = {"N": "Ny", "M": "Endring", "C": "Kansellering"}
_I = "\t\t\t\t\t"


def _root(prefix: str, root: str, ns_name: str, body: str) -> str:
    ns = f"{_PO}/{ns_name}/2012-04-01"
    return (
        f'\t\t\t\t<{prefix}:{root} xmlns:{prefix}="{ns}"{_NSDECL}'
        f' xsi:schemaLocation="{ns} {ns_name}-v1.6.xsd">\n{body}\t\t\t\t</{prefix}:{root}>\n'
    )


def _status(action: str, answer: bool | None = None) -> str:
    extra = (
        ""
        if answer is None
        else f"{_I}\t<SvarPaaForesporsel>{str(answer).lower()}</SvarPaaForesporsel>\n"
    )
    code = cv("Forsendelsesstatus", action, _ACTION_DN[action])
    return (
        f"{_I}<InformasjonOmForsendelsen>\n{_I}\t{code}\n{extra}{_I}</InformasjonOmForsendelsen>\n"
    )


def _responsible(rng: random.Random, env: Envelope, doctor: bool = False) -> str:
    if doctor:
        prof, role = (
            cv("fk1:TypeHealthcareProfessional", "LE", "Lege"),
            cv("fk1:RoleToPatient", "6", "Fastlege", "2.16.578.1.12.4.1.1.9034"),
        )
        family, given = env.sender.person_family or "Lege", env.sender.person_given or "Lise"
        hpr = env.sender.person_hpr or str(rng.randint(1_000_000, 2_999_999))
    else:
        prof, role = (
            cv("fk1:TypeHealthcareProfessional", "SP", "Sykepleier"),
            cv("fk1:RoleToPatient", "9", "Primærkontakt", "2.16.578.1.12.4.1.1.9034"),
        )
        family, given, hpr = "Omsorg", "Gunn", str(rng.randint(1_000_000, 2_999_999))
    return (f"{_I}<AnsvarForRapport>\n{_I}\t<AnsvarligRapport>\n{_I}\t\t{prof}\n{_I}\t\t{role}\n"
            f"{_I}\t\t<fk1:FamilyName>{esc(family)}</fk1:FamilyName>\n"
            f"{_I}\t\t<fk1:GivenName>{esc(given)}</fk1:GivenName>\n"
            f"{_I}\t\t<fk1:Ident>\n{_I}\t\t\t<fk1:Id>{hpr}</fk1:Id>\n"
            f'{_I}\t\t\t<fk1:TypeId V="HPR" DN="HPR-nummer" S="2.16.578.1.12.4.1.1.8116"/>\n'
            f"{_I}\t\t</fk1:Ident>\n{_I}\t</AnsvarligRapport>\n"
            f"{_I}\t<GodkjentDato>{env.gen_date.date().isoformat()}</GodkjentDato>\n"
            f"{_I}</AnsvarForRapport>\n")  # fmt: skip


def _diagnosis(rng: random.Random, icpc: bool = False) -> str:
    code, name = rng.choice(DIAGNOSES_ICPC2 if icpc else DIAGNOSES_ICD10)
    s = "2.16.578.1.12.4.1.1.7170" if icpc else "2.16.578.1.12.4.1.1.7110"
    return (
        f"{_I}<InfoMedisinskDiagnose>\n{_I}\t<MedisinskDiagnose>\n"
        f"{_I}\t\t<Hoveddiagnose>true</Hoveddiagnose>\n"
        f"{_I}\t\t{cv('Diagnosekode', code, name, s)}\n"
        f"{_I}\t</MedisinskDiagnose>\n{_I}</InfoMedisinskDiagnose>\n"
    )


def _journal(code: str, dn: str, text: str) -> str:
    return (
        f"{_I}\t\t<epj2:Journaltekst>\n"
        f"{_I}\t\t\t{cv('epj2:Overskriftskode', code, dn, '2.16.578.1.12.4.1.1.9142')}\n"
        f"{_I}\t\t\t<epj2:Notat>{esc(text)}</epj2:Notat>\n{_I}\t\t</epj2:Journaltekst>\n"
    )


def _journal_chunk(rng: random.Random) -> str:
    return _journal("FO", "Forløp og behandling", sentences(rng, 4))


def _medical(rng: random.Random, headings: tuple[tuple[str, str], ...]) -> str:
    kid = f"{rng.getrandbits(128):032x}"
    notes = "".join(_journal(c, dn, sentences(rng, 2)) for c, dn in headings)
    return (
        f"{_I}<MedisinskfagligeOpplysninger>\n"
        f'{_I}\t<epj2:GenereltJournalnotat komponentID="{kid[:8]}-{kid[8:12]}-{kid[12:16]}-'
        f'{kid[16:20]}-{kid[20:]}" m1:informasjonskategori="Andre notater"'
        ' m1:komponenttype="2.16.578.1.12.4.1.6.13.11009.0"'
        ' m1:basiskomponenttype="EPJ dokument">\n'
        f"{notes}{FILL}{_I}\t</epj2:GenereltJournalnotat>\n{_I}</MedisinskfagligeOpplysninger>\n"
    )


def _drugs(rng: random.Random, count: int) -> str:
    out = []
    for atc, name, strength, unit, dose in rng.sample(DRUGS, count):
        out.append(
            f'{_I}<epj3:Legemiddelinfo m1:informasjonskategori="Legemidler"'
            f' komponentID="{atc.lower()}-{rng.getrandbits(32):08x}"'
            ' m1:komponenttype="2.16.578.1.12.4.1.6.13.10301.0"'
            ' m1:basiskomponenttype="EPJ dokument">\n'
            f"{_I}\t<epj3:ForenkletForskrivning>\n{_I}\t\t<epj3:Forskrivningsinfo>\n"
            f"{_I}\t\t\t<epj3:DosVeiledEnkel>{esc(dose)}</epj3:DosVeiledEnkel>\n"
            f"{_I}\t\t\t<epj3:Navn>{name}</epj3:Navn>\n"
            f"{_I}\t\t\t{cv('epj3:Legemiddelform', '53', 'Tablett')}\n"
            f'{_I}\t\t\t<epj3:Styrke V="{strength}" U="{unit}"/>\n'
            f"{_I}\t\t\t{cv('epj3:Bruk', '1', 'Fast')}\n"
            f"{_I}\t\t</epj3:Forskrivningsinfo>\n{_I}\t</epj3:ForenkletForskrivning>\n"
            f"{_I}</epj3:Legemiddelinfo>\n")  # fmt: skip
    return "".join(out)


def _cancel_note() -> str:
    note = "Kansellering: Meldingen ble sendt på feil pasient."
    return (
        f"{_I}<Sykepleierdokumentasjon>\n{_I}\t<InfoFraSykepleier>\n"
        f"{_I}\t\t<epj2:Journaltekst>\n{_I}\t\t\t<epj2:Notat>{note}</epj2:Notat>\n"
        f"{_I}\t\t</epj2:Journaltekst>\n{_I}\t</InfoFraSykepleier>\n"
        f"{_I}</Sykepleierdokumentasjon>\n"
    )


def innleggelsesrapport(
    env: Envelope, rng: random.Random, *, action: str = "N", target_size: int | None = None
) -> bytes:
    """Admission report, municipal care → hospital (``INNLEGGELSESRAPPORT``)."""
    if action == "C":
        body = _status(action) + _responsible(rng, env) + _cancel_note()
    else:
        body = (
            _status(action)
            + _responsible(rng, env)
            + _diagnosis(rng)
            + _medical(rng, (("AAI", "Årsak til innleggelse"),))
            + _drugs(rng, rng.randint(2, 5))
        )
    content = _root("p7", "Innleggelsesrapport", "Innleggelsesrapport", body)
    return finish(
        msghead(env, "INNLEGGELSESRAPPORT", "Innleggelsesrapport", content),
        rng,
        target_size,
        _journal_chunk,
    )


def utskrivningsrapport(
    env: Envelope, rng: random.Random, *, action: str = "N", target_size: int | None = None
) -> bytes:
    """Discharge report, hospital → municipal care (``UTSKRIVNINGSRAPPORT``, root
    ``TverrfagligEpikrise``)."""
    admitted = env.gen_date - timedelta(days=rng.randint(2, 12))
    stay = "".join(
        f"{_I}<OpplysningOpphold>\n{_I}\t<TidsfestetHendelse>\n"
        f"{_I}\t\t<BeskrivelseAvHendelse>{what}</BeskrivelseAvHendelse>\n"
        f'{_I}\t\t<TidspunktForHendelse V="{ts(when)}"/>\n{_I}\t\t<Anslag>false</Anslag>\n'
        f"{_I}\t</TidsfestetHendelse>\n{_I}</OpplysningOpphold>\n"
        for what, when in (("Innlagt dato", admitted), ("Utskrevet dato", env.gen_date))
    )  # fmt: skip
    kind = cv("TypeInnhold", "11", "Utskrivningsrapport", "2.16.578.1.12.4.1.1.9139")
    body = (_status(action)
            + f"{_I}<TypeInnholdIMelding>\n{_I}\t{kind}\n{_I}</TypeInnholdIMelding>\n"
            + stay + _diagnosis(rng)
            + _medical(rng, (("PROB", "Aktuell problemstilling"), ("FO", "Forløp og behandling"),
                             ("OP", "Planer for videre oppfølging"))))  # fmt: skip
    content = _root("p8", "TverrfagligEpikrise", "TverrfagligEpikrise", body)
    return finish(
        msghead(env, "UTSKRIVNINGSRAPPORT", "Utskrivningsrapport", content),
        rng,
        target_size,
        _journal_chunk,
    )


def helseopplysninger_lege(
    env: Envelope, rng: random.Random, *, action: str = "N", target_size: int | None = None
) -> bytes:
    """Health information to the GP from municipal care (``HELSEOPPLYSNINGER_LEGE``)."""
    kind = cv("TypeInnholdKonsultasjon", "3", "Ønske om legevurdering")
    body = (
        _status(action, False)
        + _responsible(rng, env)
        + f"{_I}<InnholdKonsultasjon>\n{_I}\t{kind}\n{_I}</InnholdKonsultasjon>\n"
        + _medical(rng, (("PROB", "Aktuell problemstilling"),))
        + _drugs(rng, 2)
    )
    content = _root("p6", "Konsultasjon", "HelseopplysningerTilLege", body)
    return finish(
        msghead(env, "HELSEOPPLYSNINGER_LEGE", "Helseopplysninger til lege", content),
        rng,
        target_size,
        _journal_chunk,
    )


def medisinske_opplysninger(
    env: Envelope, rng: random.Random, *, action: str = "N", target_size: int | None = None
) -> bytes:
    """Medical information from the GP to municipal care (``MEDISINSKE_OPPLYSNINGER``)."""
    kind = cv("TypeInnhold", "5", "Opplysninger til søknad", "2.16.578.1.12.4.1.1.9138")
    body = (_status(action, False) + _responsible(rng, env, doctor=True)
            + f"{_I}<TypeInnholdIMelding>\n{_I}\t{kind}\n{_I}</TypeInnholdIMelding>\n"
            + _diagnosis(rng, icpc=True) + _medical(rng, (("PROB", "Aktuell problemstilling"),))
            + _drugs(rng, 3))  # fmt: skip
    content = _root("p4", "OverforingMedisinskeOpplysninger", "MedisinskeOpplysninger", body)
    return finish(
        msghead(env, "MEDISINSKE_OPPLYSNINGER", "Medisinske opplysninger", content),
        rng,
        target_size,
        _journal_chunk,
    )


def utskrivningsklar(
    env: Envelope, rng: random.Random, *, action: str = "N", target_size: int | None = None
) -> bytes:
    """Patient ready for discharge, hospital → municipality (``LOG_UTSKRIVNINGSKLAR``); the
    municipality is expected to answer."""
    admitted = env.gen_date - timedelta(days=rng.randint(1, 10))
    events = "".join(
        f"{_I}\t<TidsfestetHendelse>\n"
        f"{_I}\t\t{cv('Hendelsekode', code, dn, '2.16.578.1.12.4.1.1.9121')}\n"
        f'{_I}\t\t<TidspunktForHendelse V="{when}"/>\n{_I}\t\t<Anslag>{estimate}</Anslag>\n'
        f"{_I}\t</TidsfestetHendelse>\n"
        for code, dn, when, estimate in (
            ("1", "Pasient innlagt", ts(admitted), "false"),
            ("3", "Pasient utskrivningsklar", env.gen_date.date().isoformat(), "true"))
    )  # fmt: skip
    body = (
        _status(action)
        + _responsible(rng, env)
        + f"{_I}<p1:MeldingUtskrivningsklarPasient>\n{events}{FILL}"
        f"{_I}</p1:MeldingUtskrivningsklarPasient>\n"
    )
    content = _root("p1", "Pasientlogistikk", "Pasientlogistikk", body)
    return finish(
        msghead(env, "LOG_UTSKRIVNINGSKLAR", "Melding om utskrivningsklar pasient", content),
        rng,
        target_size,
        _event_chunk,
    )


def _event_chunk(rng: random.Random) -> str:
    return (
        f"{_I}\t<TidsfestetHendelse>\n"
        f"{_I}\t\t<BeskrivelseAvHendelse>{esc(sentences(rng, 2))}</BeskrivelseAvHendelse>\n"
        f"{_I}\t\t<Anslag>true</Anslag>\n{_I}\t</TidsfestetHendelse>\n"
    )
