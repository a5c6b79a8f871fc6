"""Parties and patients from the two header families and from AppRec.

MsgHead: ``Organisation`` (``OrganisationName``, ``Ident``*, nested ``Organisation`` for the
department/service, ``HealthcareProfessional``). Message-rooted standards and AppRec:
``HCP/Inst`` (``Name``, ``Id``/``TypeId``, ``Dept``*, ``AdditionalId``*, ``HCPerson``*) or
``HCP/HCProf``.
"""

from __future__ import annotations

from schemas.model import Ident, Party, Patient, Person
from schemas.xml._tree import Element, NsReader

_HPR = "HPR"
_HER = "HER"
_ENH = "ENH"


def _pick(idents: tuple[Ident, ...], kind: str) -> str | None:
    for ident in idents:
        if ident.type == kind and ident.id:
            return ident.id
    return None


def _mh_idents(r: NsReader, node: Element) -> tuple[Ident, ...]:
    out: list[Ident] = []
    for ident in r.all(node, "Ident"):
        value = r.text(ident, "Id")
        kind = r.v(ident, "TypeId")
        if value is not None or kind is not None:
            out.append(Ident(id=value or "", type=kind or ""))
    return tuple(out)


def _mh_person(r: NsReader, node: Element | None) -> Person | None:
    if node is None:
        return None
    names = [r.text(node, part) for part in ("GivenName", "MiddleName", "FamilyName")]
    idents = _mh_idents(r, node)
    name = " ".join(n for n in names if n) or None
    return Person(name=name, hpr=_pick(idents, _HPR), her_id=_pick(idents, _HER), idents=idents)


def msghead_party(r: NsReader, node: Element | None) -> Party:
    """Sender, Receiver or OtherReceiver of a MsgHead."""
    org = r.el(node, "Organisation")
    if org is None:
        return Party(person=_mh_person(r, r.el(node, "HealthcareProfessional")))
    idents = _mh_idents(r, org)
    unit: Element | None = None
    nested = r.el(org, "Organisation")
    while nested is not None:  # the deepest sub-unit is the most specific address
        unit = nested
        nested = r.el(nested, "Organisation")
    unit_idents = _mh_idents(r, unit) if unit is not None else ()
    hcp = r.el(unit, "HealthcareProfessional") if unit is not None else None
    if hcp is None:
        hcp = r.el(org, "HealthcareProfessional")
    return Party(
        name=r.text(org, "OrganisationName"),
        org_her_id=_pick(idents, _HER),
        org_no=_pick(idents, _ENH),
        idents=idents,
        unit_name=r.text(unit, "OrganisationName") if unit is not None else None,
        unit_her_id=_pick(unit_idents, _HER),
        unit_idents=unit_idents,
        person=_mh_person(r, hcp),
    )


def msghead_patient(r: NsReader, node: Element | None) -> Patient | None:
    if node is None:
        return None
    return Patient(
        idents=_mh_idents(r, node),
        family_name=r.text(node, "FamilyName"),
        given_name=" ".join(n for n in (r.text(node, "GivenName"), r.text(node, "MiddleName")) if n)
        or None,
        birth_date=r.text(node, "DateOfBirth"),
        sex=r.v(node, "Sex"),
    )


def _hcp_idents(r: NsReader, node: Element) -> tuple[Ident, ...]:
    out: list[Ident] = []
    value = r.text(node, "Id")
    kind = r.v(node, "TypeId")
    if value is not None or kind is not None:
        out.append(Ident(id=value or "", type=kind or ""))
    for extra in r.all(node, "AdditionalId"):
        out.append(Ident(id=r.text(extra, "Id") or "", type=r.v(extra, "Type") or ""))
    return tuple(out)


def _hcp_person(r: NsReader, node: Element | None) -> Person | None:
    if node is None:
        return None
    idents = _hcp_idents(r, node)
    return Person(
        name=r.text(node, "Name"),
        hpr=_pick(idents, _HPR),
        her_id=_pick(idents, _HER),
        idents=idents,
    )


def hcp_party(r: NsReader, node: Element | None) -> Party:
    """ServProvider, Requester, CopyDest (Message-rooted) or AppRec Sender/Receiver."""
    hcp = r.el(node, "HCP")
    inst = r.el(hcp, "Inst")
    if inst is None:
        return Party(person=_hcp_person(r, r.el(hcp, "HCProf")))
    idents = _hcp_idents(r, inst)
    dept = r.el(inst, "Dept")
    unit_idents = _hcp_idents(r, dept) if dept is not None else ()
    return Party(
        name=r.text(inst, "Name"),
        org_her_id=_pick(idents, _HER),
        org_no=_pick(idents, _ENH),
        idents=idents,
        unit_name=r.text(dept, "Name") if dept is not None else None,
        unit_her_id=_pick(unit_idents, _HER),
        unit_idents=unit_idents,
        person=_hcp_person(r, r.el(inst, "HCPerson")),
    )


def message_patient(r: NsReader, node: Element | None) -> Patient | None:
    """``Patient`` of the Message-rooted standards (``Name`` is "Family, Given")."""
    if node is None:
        return None
    family: str | None = None
    given: str | None = None
    name = r.text(node, "Name")
    if name:
        family_part, sep, given_part = name.partition(",")
        family = family_part.strip() or None
        given = given_part.strip() or None if sep else None
    idents: list[Ident] = []
    off_id = r.el(node, "OffId")
    if off_id is not None or r.el(node, "TypeOffId") is not None:
        idents.append(Ident(id=r.text(node, "OffId") or "", type=r.v(node, "TypeOffId") or ""))
    return Patient(
        idents=tuple(idents),
        family_name=family,
        given_name=given,
        birth_date=r.v(node, "DateOfBirth"),
        sex=r.v(node, "Sex"),
    )
