"""Parties and patients from the two header families and from AppRec.

MsgHead: ``Organisation`` (``OrganisationName``, ``Ident``*, nested ``Organisation`` for the
department/service, ``HealthcareProfessional``). Message-rooted standards and AppRec:
``HCP/Inst`` (``Name``, ``Id``/``TypeId``, ``Dept``*, ``AdditionalId``*, ``HCPerson``*) or
``HCP/HCProf``.

Every node is indexed once (:func:`schemas.xml._tree.kids`) and its fields read from the index.
"""

from __future__ import annotations

from schemas.model import Ident, Party, Patient, Person
from schemas.xml._tree import Element, Index, TagTable, kids, kids_and_all, text_at, v_at
from schemas.xml.catalog import MSGHEAD_NS

_HPR = "HPR"
_HER = "HER"
_ENH = "ENH"

_M = f"{{{MSGHEAD_NS}}}"
_ORGANISATION = _M + "Organisation"
_ORGANISATION_NAME = _M + "OrganisationName"
_HEALTHCARE_PROFESSIONAL = _M + "HealthcareProfessional"
_IDENT = _M + "Ident"
_ID = _M + "Id"
_TYPE_ID = _M + "TypeId"
_GIVEN_NAME = _M + "GivenName"
_MIDDLE_NAME = _M + "MiddleName"
_FAMILY_NAME = _M + "FamilyName"
_DATE_OF_BIRTH = _M + "DateOfBirth"
_SEX = _M + "Sex"


def _pick(idents: tuple[Ident, ...], kind: str) -> str | None:
    for ident in idents:
        if ident.type == kind and ident.id:
            return ident.id
    return None


def _mh_idents(ident_nodes: list[Element]) -> tuple[Ident, ...]:
    out: list[Ident] = []
    for ident in ident_nodes:
        index = kids(ident)
        value = text_at(index, _ID)
        kind = v_at(index, _TYPE_ID)
        if value is not None or kind is not None:
            out.append(Ident(id=value or "", type=kind or ""))
    return tuple(out)


def _mh_person(node: Element | None) -> Person | None:
    if node is None:
        return None
    index, ident_nodes = kids_and_all(node, _IDENT)
    names = (
        text_at(index, _GIVEN_NAME),
        text_at(index, _MIDDLE_NAME),
        text_at(index, _FAMILY_NAME),
    )
    idents = _mh_idents(ident_nodes)
    name = " ".join(n for n in names if n) or None
    return Person(name=name, hpr=_pick(idents, _HPR), her_id=_pick(idents, _HER), idents=idents)


def msghead_party(node: Element | None) -> Party:
    """Sender, Receiver or OtherReceiver of a MsgHead."""
    return msghead_party_at(kids(node))


def msghead_party_at(index: Index) -> Party:
    """:func:`msghead_party` of an already indexed Sender/Receiver/OtherReceiver."""
    org = index.get(_ORGANISATION)
    if org is None:
        return Party(person=_mh_person(index.get(_HEALTHCARE_PROFESSIONAL)))
    org_index, org_ident_nodes = kids_and_all(org, _IDENT)
    idents = _mh_idents(org_ident_nodes)
    unit_index: Index | None = None
    unit_ident_nodes: list[Element] = []
    nested = org_index.get(_ORGANISATION)
    while nested is not None:  # the deepest sub-unit is the most specific address
        unit_index, unit_ident_nodes = kids_and_all(nested, _IDENT)
        nested = unit_index.get(_ORGANISATION)
    hcp: Element | None = None
    unit_name: str | None = None
    unit_idents: tuple[Ident, ...] = ()
    if unit_index is not None:
        unit_idents = _mh_idents(unit_ident_nodes)
        unit_name = text_at(unit_index, _ORGANISATION_NAME)
        hcp = unit_index.get(_HEALTHCARE_PROFESSIONAL)
    if hcp is None:
        hcp = org_index.get(_HEALTHCARE_PROFESSIONAL)
    return Party(
        name=text_at(org_index, _ORGANISATION_NAME),
        org_her_id=_pick(idents, _HER),
        org_no=_pick(idents, _ENH),
        idents=idents,
        unit_name=unit_name,
        unit_her_id=_pick(unit_idents, _HER),
        unit_idents=unit_idents,
        person=_mh_person(hcp),
    )


def msghead_patient(node: Element | None) -> Patient | None:
    if node is None:
        return None
    index, ident_nodes = kids_and_all(node, _IDENT)
    given = text_at(index, _GIVEN_NAME)
    middle = text_at(index, _MIDDLE_NAME)
    return Patient(
        idents=_mh_idents(ident_nodes),
        family_name=text_at(index, _FAMILY_NAME),
        given_name=" ".join(n for n in (given, middle) if n) or None,
        birth_date=text_at(index, _DATE_OF_BIRTH),
        sex=v_at(index, _SEX),
    )


def _hcp_idents(t: TagTable, node: Element) -> tuple[tuple[Ident, ...], Index]:
    """Identifiers of an ``Inst``, ``Dept``, ``HCPerson`` or ``HCProf``, and its index."""
    index, extras = kids_and_all(node, t["AdditionalId"])
    out: list[Ident] = []
    value = text_at(index, t["Id"])
    kind = v_at(index, t["TypeId"])
    if value is not None or kind is not None:
        out.append(Ident(id=value or "", type=kind or ""))
    if extras:
        id_tag, type_tag = t["Id"], t["Type"]
        for extra in extras:
            extra_index = kids(extra)
            out.append(
                Ident(id=text_at(extra_index, id_tag) or "", type=v_at(extra_index, type_tag) or "")
            )
    return tuple(out), index


def _hcp_person(t: TagTable, node: Element | None) -> Person | None:
    if node is None:
        return None
    idents, index = _hcp_idents(t, node)
    return Person(
        name=text_at(index, t["Name"]),
        hpr=_pick(idents, _HPR),
        her_id=_pick(idents, _HER),
        idents=idents,
    )


def hcp_party(t: TagTable, node: Element | None) -> Party:
    """ServProvider, Requester, CopyDest (Message-rooted) or AppRec Sender/Receiver.

    ``t`` is the tag table of the message's namespace.
    """
    return hcp_party_at(t, kids(node))


def hcp_party_at(t: TagTable, index: Index) -> Party:
    """:func:`hcp_party` of an already indexed node."""
    hcp_index = kids(index.get(t["HCP"]))
    inst = hcp_index.get(t["Inst"])
    if inst is None:
        return Party(person=_hcp_person(t, hcp_index.get(t["HCProf"])))
    idents, inst_index = _hcp_idents(t, inst)
    dept = inst_index.get(t["Dept"])
    unit_idents: tuple[Ident, ...] = ()
    unit_name: str | None = None
    if dept is not None:
        unit_idents, dept_index = _hcp_idents(t, dept)
        unit_name = text_at(dept_index, t["Name"])
    return Party(
        name=text_at(inst_index, t["Name"]),
        org_her_id=_pick(idents, _HER),
        org_no=_pick(idents, _ENH),
        idents=idents,
        unit_name=unit_name,
        unit_her_id=_pick(unit_idents, _HER),
        unit_idents=unit_idents,
        person=_hcp_person(t, inst_index.get(t["HCPerson"])),
    )


def message_patient(t: TagTable, node: Element | None) -> Patient | None:
    """``Patient`` of the Message-rooted standards (``Name`` is "Family, Given")."""
    if node is None:
        return None
    return message_patient_at(t, kids(node))


def message_patient_at(t: TagTable, index: Index) -> Patient:
    """:func:`message_patient` of an already indexed, present ``Patient``."""
    family: str | None = None
    given: str | None = None
    name = text_at(index, t["Name"])
    if name:
        family_part, sep, given_part = name.partition(",")
        family = family_part.strip() or None
        given = given_part.strip() or None if sep else None
    idents: list[Ident] = []
    off_id = t["OffId"]
    type_off_id = t["TypeOffId"]
    if off_id in index or type_off_id in index:
        idents.append(Ident(id=text_at(index, off_id) or "", type=v_at(index, type_off_id) or ""))
    return Patient(
        idents=tuple(idents),
        family_name=family,
        given_name=given,
        birth_date=v_at(index, t["DateOfBirth"]),
        sex=v_at(index, t["Sex"]),
    )
