"""Henvisning 2.0 (in MsgHead), Epikrise 1.2 and Svarrapport 1.4 (own ``Message`` header)."""

from __future__ import annotations

import random
from datetime import timedelta

from streams.synthetic.messages._fill import FILL, finish
from streams.synthetic.messages._text import (
    ANALYSES,
    DIAGNOSES_ICD10,
    DIAGNOSES_ICPC2,
    DRUGS,
    FINDINGS,
    RADIOLOGY,
    sentences,
)
from streams.synthetic.messages._xml import Addressee, Envelope, cv, esc, msghead, ts

__all__ = ["epikrise", "henvisning", "svarrapport"]

HENVISNING_NS = "http://ehelse.no/xmlstds/henvisning/2017-11-30"
EPIKRISE_NS = "http://www.kith.no/xmlstds/epikrise/2012-02-15"
SVAR_NS = "http://www.kith.no/xmlstds/labsvar/2012-02-15"
_ACTION_DN = {"N": "Ny", "M": "Endring", "C": "Kansellering"}
_I = "\t\t\t\t\t"
_S8231, _S8254, _S8455 = (f"2.16.578.1.12.4.1.1.{n}" for n in (8231, 8254, 8455))


def _reason(rng: random.Random) -> str:
    return (f"{_I}<ReasonAsText>\n"
            f"{_I}\t{cv('Heading', 'PROB', 'Aktuell problemstilling', _S8231)}\n"
            f"{_I}\t<TextResultValue>{esc(sentences(rng, 4))}</TextResultValue>\n"
            f"{_I}</ReasonAsText>\n")  # fmt: skip


def henvisning(
    env: Envelope,
    rng: random.Random,
    *,
    document_id: str,
    action: str = "N",
    target_size: int | None = None,
) -> bytes:
    """A referral GP → hospital (``HENVISNING_NYTILSTAND``); ``document_id`` is what a change or
    cancel refers to."""
    code, name = rng.choice(DIAGNOSES_ICPC2)
    hpr = env.sender.person_hpr or str(rng.randint(1_000_000, 2_999_999))
    s8233 = "2.16.578.1.12.4.1.1.8233"
    body = (
        f'\t\t\t\t<Henvisning xmlns="{HENVISNING_NS}"'
        ' xmlns:po="http://ehelse.no/xmlstds/po/poKomponent/2017-11-30"'
        ' xmlns:fk1="http://www.kith.no/xmlstds/felleskomponent1"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{HENVISNING_NS} Henvisning-v2.0.xsd">\n'
        f"{_I}{cv('ServType', action, _ACTION_DN[action])}\n"
        f"{_I}<IssueDate>{ts(env.gen_date)}</IssueDate>\n"
        f"{_I}<DocumentId>{document_id}</DocumentId>\n"
        f"{_I}<po:AnsvarForRapport>\n{_I}\t<po:AnsvarligRapport>\n"
        f"{_I}\t\t{cv('fk1:TypeHealthcareProfessional', 'LE', 'Lege')}\n"
        f"{_I}\t\t<fk1:FamilyName>{esc(env.sender.person_family or 'Lege')}</fk1:FamilyName>\n"
        f"{_I}\t\t<fk1:GivenName>{esc(env.sender.person_given or 'Lise')}</fk1:GivenName>\n"
        f"{_I}\t\t<fk1:Ident>\n{_I}\t\t\t<fk1:Id>{hpr}</fk1:Id>\n"
        f'{_I}\t\t\t<fk1:TypeId V="HPR" DN="HPR-nummer" S="2.16.578.1.12.4.1.1.8116"/>\n'
        f"{_I}\t\t</fk1:Ident>\n{_I}\t</po:AnsvarligRapport>\n"
        f"{_I}\t{cv('po:TypeRelasjon', 'HHE', 'Henvisende helsepersonell', _S8254)}\n"
        f"{_I}</po:AnsvarForRapport>\n"
        f"{_I}<po:TypeInnholdIMelding>\n"
        f"{_I}\t{cv('po:TypeInnhold', '10', 'Utredning/behandling', _S8455)}\n"
        f"{_I}</po:TypeInnholdIMelding>\n"
        f"{_I}<InfItem>\n{_I}\t<Observation>\n"
        f"{_I}\t\t<Description>{esc(sentences(rng, 3))}</Description>\n"
        f"{_I}\t</Observation>\n"
        f"{_I}\t{cv('Type', 'FUNN', 'Funn og undersøkelsesresultat', s8233)}\n"
        f"{_I}</InfItem>\n{_reason(rng)}{FILL}"
        f"{_I}<Diagnosis>\n{_I}\t{cv('Concept', code, name, '2.16.578.1.12.4.1.1.7170')}\n"
        f"{_I}</Diagnosis>\n"
        f"{_I}<ReqServ>\n{_I}\t{cv('ServType', 'N', 'Ny')}\n"
        f"{_I}\t{cv('Priority', 'N', 'Elektiv/Ordinær (elektiv)')}\n{_I}</ReqServ>\n"
        "\t\t\t\t</Henvisning>\n"
    )  # fmt: skip
    return finish(
        msghead(env, "HENVISNING_NYTILSTAND", "Henvisning ny tilstand", body),
        rng,
        target_size,
        _reason,
    )


def _message_head(env: Envelope, type_v: str, type_dn: str, ns: str, mig: str, xsd: str) -> str:
    test = '\t<Status V="TEST" DN="Melding til testformål"/>\n' if env.test else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Message xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{ns} {xsd}">\n'
        f"\t{cv('Type', type_v, type_dn)}\n\t<MIGversion>{mig}</MIGversion>\n"
        f'\t<GenDate V="{ts(env.gen_date)}"/>\n\t<MsgId>{esc(env.msg_id)}</MsgId>\n{test}'
    )


def _inst(a: Addressee, indent: str) -> str:
    out = [
        f"{indent}<HCP>\n{indent}\t<Inst>\n{indent}\t\t<Name>{esc(a.org_name)}</Name>\n",
        f'{indent}\t\t<Id>{a.org_her}</Id>\n{indent}\t\t<TypeId V="HER" DN="HER-id"/>\n',
    ]
    if a.unit_her is not None:
        out.append(
            f"{indent}\t\t<Dept>\n{indent}\t\t\t<Name>{esc(a.unit_name or '')}</Name>\n"
            f"{indent}\t\t\t<Id>{a.unit_her}</Id>\n"
            f'{indent}\t\t\t<TypeId V="HER" DN="HER-id"/>\n{indent}\t\t</Dept>\n'
        )
    if a.person_her is not None:
        name = f"{a.person_given or ''} {a.person_family or ''}".strip()
        out.append(
            f"{indent}\t\t<HCPerson>\n{indent}\t\t\t<Name>{esc(name)}</Name>\n"
            f"{indent}\t\t\t<Id>{a.person_her}</Id>\n"
            f'{indent}\t\t\t<TypeId V="HER" DN="HER-id"/>\n{indent}\t\t</HCPerson>\n'
        )
    out.append(f"{indent}\t</Inst>\n{indent}</HCP>\n")
    return "".join(out)


def _patient(env: Envelope, indent: str, with_demographics: bool) -> str:
    p = env.patient
    if p is None:
        raise ValueError("this standard requires a patient")
    demo = ""
    if with_demographics:
        sex = "Kvinne" if p.sex == "2" else "Mann"
        demo = (
            f'{indent}\t<Sex V="{p.sex}" DN="{sex}"/>\n'
            f'{indent}\t<DateOfBirth V="{p.birth_date.isoformat()}"/>\n'
        )
    return (
        f"{demo}{indent}\t<Name>{esc(p.family_name)}, {esc(p.given_name)}</Name>\n"
        f"{indent}\t<OffId>{p.national_id}</OffId>\n"
        f'{indent}\t<TypeOffId V="FNR" DN="Fødselsnummer"/>\n'
    )


def _comment(rng: random.Random) -> str:
    return (
        f"\t\t\t<Comment>\n\t\t\t\t{cv('Heading', 'FO', 'Forløp')}\n"
        f"\t\t\t\t<TextResultValue>{esc(sentences(rng, 4))}</TextResultValue>\n"
        "\t\t\t</Comment>\n"
    )


def epikrise(
    env: Envelope,
    rng: random.Random,
    *,
    document_id: str,
    action: str = "N",
    referral_id: str | None = None,
    target_size: int | None = None,
) -> bytes:
    """A discharge summary hospital → GP (Epikrise 1.2). The ``Requester`` is ``env.receiver``
    (the primary receiver), ``CopyDest`` the copy receivers, ``ServProvider`` the sender."""
    admitted = env.gen_date - timedelta(days=rng.randint(2, 12))
    out = [_message_head(env, "EPIKRISE", "Epikrise", EPIKRISE_NS, "v1.2 2012-02-15",
                         "Epikrise-v1.2.xsd"),
           f"\t<ServRprt>\n\t\t{cv('ServType', action, _ACTION_DN[action])}\n",
           f'\t\t<IssueDate V="{ts(env.gen_date)}"/>\n\t\t<ApprDate V="{ts(env.gen_date)}"/>\n',
           f"\t\t{cv('Status', 'F', 'Endelig rapport')}\n",
           "\t\t<MsgDescr>Sykehusepikrise</MsgDescr>\n",
           f"\t\t<ServProvId>{document_id}</ServProvId>\n"]  # fmt: skip
    if referral_id is not None:
        out.append(
            f"\t\t<ServReq>\n\t\t\t{cv('ServType', 'N', 'Ny')}\n"
            f'\t\t\t<IssueDate V="{ts(admitted - timedelta(days=20))}"/>\n'
            f"\t\t\t<Id>{referral_id}</Id>\n\t\t</ServReq>\n"
        )
    if action != "C":
        code, name = rng.choice(DIAGNOSES_ICD10)
        atc, drug, strength, unit, dose = rng.choice(DRUGS)
        out += [
            "\t\t<Event>\n\t\t\t<ReportedEvent>\n",
            f'\t\t\t\t<StartDateTime V="{ts(admitted)}"/>\n',
            f'\t\t\t\t<EndDateTime V="{ts(env.gen_date)}"/>\n\t\t\t</ReportedEvent>\n',
            f"\t\t\t{cv('ServType', 'N', 'Ny')}\n\t\t\t{cv('AdmOutcome', '1', 'Ut til hjemmet')}\n",
            f"\t\t\t<Service>\n\t\t\t\t{cv('AdmCat', '1', 'Heldøgnsopphold')}\n\t\t\t</Service>\n",
            "\t\t\t<InfItem>\n\t\t\t\t<Observation>\n\t\t\t\t\t<CodedDescr>\n",
            f"\t\t\t\t\t\t{cv('Concept', code, name, '2.16.578.1.12.4.1.1.7110')}\n",
            "\t\t\t\t\t</CodedDescr>\n\t\t\t\t</Observation>\n",
            f"\t\t\t\t{cv('Type', 'H', 'Hoveddiagnose')}\n\t\t\t</InfItem>\n",
            "\t\t\t<InfItem>\n\t\t\t\t<Medication>\n",
            f"\t\t\t\t\t{cv('DrugId', atc, drug, '2.16.578.1.12.4.1.1.7180')}\n",
            f"\t\t\t\t\t{cv('Status', '6', 'Benyttes regelmessig')}\n",
            f'\t\t\t\t\t<UnitDose V="{strength}" U="{unit}"/>\n',
            f"\t\t\t\t\t<DosageText>{esc(dose)}</DosageText>\n\t\t\t\t</Medication>\n",
            f"\t\t\t\t{cv('Type', 'MEDB', 'Legemiddelopplysning')}\n\t\t\t</InfItem>\n",
            _comment(rng), FILL, "\t\t</Event>\n",
        ]  # fmt: skip
    out += ["\t\t<Patient>\n", _patient(env, "\t\t", True), "\t\t</Patient>\n",
            "\t\t<ServProvider>\n\t\t\t<Role V=\"SPR\" DN=\"Tjenesteyter\"/>\n",
            '\t\t\t<ComMethod V="EDI" DN="EDI"/>\n', _inst(env.sender, "\t\t\t"),
            "\t\t</ServProvider>\n"]  # fmt: skip
    for copy in env.copy_receivers:
        out += ["\t\t<CopyDest>\n", _inst(copy, "\t\t\t"), "\t\t</CopyDest>\n"]
    out += ["\t\t<Requester>\n\t\t\t<Role V=\"REQ\" DN=\"Rekvirent\"/>\n",
            '\t\t\t<ComMethod V="EDI" DN="EDI"/>\n', _inst(env.receiver, "\t\t\t"),
            "\t\t</Requester>\n\t</ServRprt>\n</Message>\n"]  # fmt: skip
    return finish("".join(out), rng, target_size, _comment)


def _lab_item(rng: random.Random, index: int, subject: int = 1) -> str:
    code, name, unit, low, high, decimals, _ = ANALYSES[index % len(ANALYSES)]
    value = rng.uniform(low * 0.7, high * 1.3) if high > 0 else rng.uniform(0, 10)
    flag = ""
    if value > high:
        flag = f"\t\t\t\t{cv('DevResultInd', '1', 'Over øvre referansegrense')}\n"
    elif value < low:
        flag = f"\t\t\t\t{cv('DevResultInd', '2', 'Under nedre referansegrense')}\n"
    shown = f"{value:.{decimals}f}"
    return ("\t\t\t<ResultItem>\n\t\t\t\t<NumResult>\n"
            f'\t\t\t\t\t<NumResultValue V="{shown}" U="{esc(unit)}"/>\n\t\t\t\t</NumResult>\n'
            f"\t\t\t\t{cv('ServType', 'N', 'Ny')}\n"
            f"\t\t\t\t<RefInterval>\n\t\t\t\t\t<Descr>{low:g} - {high:g}</Descr>\n"
            "\t\t\t\t</RefInterval>\n\t\t\t\t<Investigation>\n"
            f"\t\t\t\t\t{cv('Id', code, name, '2.16.578.1.12.4.1.1.7280')}\n"
            f"\t\t\t\t</Investigation>\n{flag}"
            f"\t\t\t\t<IdResultItem>{rng.randint(10**8, 10**9 - 1)}</IdResultItem>\n"
            f"\t\t\t\t{cv('StatusInvestigation', '3', 'Endelig')}\n"
            f"\t\t\t\t<RefAnalysedSubject>{subject}</RefAnalysedSubject>\n"
            '\t\t\t\t<Accredited V="false"/>\n\t\t\t</ResultItem>\n')  # fmt: skip


def _rtg_item(rng: random.Random) -> str:
    code, name = rng.choice(RADIOLOGY)
    return ("\t\t\t<ResultItem>\n\t\t\t\t<TextResult>\n"
            f"\t\t\t\t\t{cv('Heading', 'GR', 'Gruppe')}\n"
            f"\t\t\t\t\t<TextResultValue>{esc(rng.choice(FINDINGS))} "
            f"{esc(sentences(rng, 1))}</TextResultValue>\n\t\t\t\t</TextResult>\n"
            f"\t\t\t\t{cv('ServType', 'N', 'Ny')}\n"
            f"\t\t\t\t{cv('StatusInvestigation', '11', 'Signert')}\n"
            "\t\t\t\t<ResultItem>\n\t\t\t\t\t<Investigation>\n"
            f"\t\t\t\t\t\t{cv('Id', code, name, '2.16.578.1.12.4.1.1.7270')}\n"
            "\t\t\t\t\t</Investigation>\n"
            f"\t\t\t\t\t<IdResultItem>T{rng.randint(10**6, 10**7 - 1)}</IdResultItem>\n"
            f"\t\t\t\t\t{cv('StatusInvestigation', '11', 'Signert')}\n"
            "\t\t\t\t</ResultItem>\n\t\t\t</ResultItem>\n")  # fmt: skip


_CATEGORY_DN = {"CLIN": "Medisinsk biokjemi", "MBIO": "Medisinsk mikrobiologi",
                "HIST": "Patologi-histologi", "CYTO": "Patologi-cytologi", "RTG": "Radiologi",
                "CT": "Computertomografi", "UL": "Ultralyd"}  # fmt: skip


def svarrapport(
    env: Envelope,
    rng: random.Random,
    *,
    document_id: str,
    requisition_id: str,
    radiology: bool = False,
    category: str | None = None,
    observations: int = 8,
    action: str = "N",
    target_size: int | None = None,
) -> bytes:
    """A lab (``SVAR_LAB``) or radiology (``SVAR_RTG``) result, Svarrapport 1.4.

    ``env.receiver`` is the requester (primary receiver), copies become ``CopyDest``.
    ``category`` is ``MsgDescr`` (CLIN, MBIO, HIST, CYTO / RTG, CT, UL); ``observations`` the
    number of result items (more are added to reach ``target_size``).
    """
    cat = category or ("RTG" if radiology else "CLIN")
    type_v, type_dn = (
        ("SVAR_RTG", "Svarrapport-Radiologi")
        if radiology
        else ("SVAR_LAB", "Svarrapport-Laboratoriemedisin")
    )
    start = rng.randrange(len(ANALYSES))
    items = (
        "".join(_rtg_item(rng) for _ in range(max(1, observations // 4)))
        if radiology
        else "".join(_lab_item(rng, start + i) for i in range(observations))
    )
    collected = env.gen_date - timedelta(hours=rng.randint(2, 30))
    subject = ("" if radiology else
               "\t\t\t<AnalysedSubject>\n\t\t\t\t<CollectedSample>\n"
               f'\t\t\t\t\t<CollectedDate V="{ts(collected)}"/>\n\t\t\t\t</CollectedSample>\n'
               f"\t\t\t\t{cv('TypeCoded', 'P', 'Plasma', '2.16.578.1.12.4.1.1.8351')}\n"
               "\t\t\t\t<Number>1</Number>\n\t\t\t\t<IdByServProvider>1</IdByServProvider>\n"
               "\t\t\t</AnalysedSubject>\n")  # fmt: skip
    out = [_message_head(env, type_v, type_dn, SVAR_NS, "v1.4 2012-02-15", "svar-v1.4.xsd"),
           f"\t<ServReport>\n\t\t{cv('ServType', action, _ACTION_DN[action])}\n",
           f'\t\t<IssueDate V="{ts(env.gen_date)}"/>\n\t\t{cv("Status", "F", "Endelig rapport")}\n',
           f"\t\t{cv('MsgDescr', cat, _CATEGORY_DN.get(cat, cat))}\n",
           f"\t\t<ServProvId>{document_id}</ServProvId>\n",
           f'\t\t<ServReq>\n\t\t\t<IssueDate V="{collected.date().isoformat()}"/>\n',
           f"\t\t\t<Id>{requisition_id}</Id>\n\t\t</ServReq>\n",
           "\t\t<Patient>\n", _patient(env, "\t\t", False), subject,
           "" if action == "C" else items, FILL, "\t\t</Patient>\n",
           "\t\t<ServProvider>\n", _inst(env.sender, "\t\t\t"), "\t\t</ServProvider>\n",
           '\t\t<Requester>\n\t\t\t<ComMethod V="EDI" DN="EDI"/>\n', _inst(env.receiver, "\t\t\t"),
           "\t\t</Requester>\n"]  # fmt: skip
    for copy in env.copy_receivers:
        out += ["\t\t<CopyDest>\n", _inst(copy, "\t\t\t"), "\t\t</CopyDest>\n"]
    out.append("\t</ServReport>\n</Message>\n")
    n = [observations]

    def more(r: random.Random) -> str:
        n[0] += 1
        return _rtg_item(r) if radiology else _lab_item(r, start + n[0])

    return finish("".join(out), rng, target_size, more)
