"""Parties and patients from the two header families and from AppRec.

MsgHead: ``Organisation`` (``OrganisationName``, ``Ident``*, nested ``Organisation`` for the
department/service, ``HealthcareProfessional``). Message-rooted standards and AppRec:
``HCP/Inst`` (``Name``, ``Id``/``TypeId``, ``Dept``*, ``AdditionalId``*, ``HCPerson``*) or
``HCP/HCProf``.

Every node is indexed once (:func:`schemas.xml._tree.kids`) and its fields read from the index.
"""

from __future__ import annotations

from schemas.model import Ident, Party, Patient, Person
from schemas.xml._tree import (
    NO_KIDS,
    Element,
    Index,
    TagTable,
    first_kid,
    iso_date,
    kids,
    kids_and_all,
    text_at,
    text_of,
    two_kids,
    v_at,
    v_of,
)
from schemas.xml.catalog import MSGHEAD_NS
from schemas.xml.errors import UnidentifiedSenderError

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


def identifies(party: Party) -> bool:
    """True when ``party`` carries an identifier value an AppRec can be addressed to: of the
    organisation, its sub-unit or its person. A name alone, or a TypeId without an Id, does not
    say who the party is (HITS 1168 §5: no AppRec when the sender cannot be determined)."""
    person_idents = party.person.idents if party.person is not None else ()
    return any(ident.id for ident in (*party.idents, *party.unit_idents, *person_idents))


def require_identified_sender(party: Party, element: str) -> Party:
    """``party`` when it :func:`identifies` someone; else :class:`UnidentifiedSenderError`
    naming the ``element`` it was read from: a receipt cannot be addressed to nobody."""
    if not identifies(party):
        raise UnidentifiedSenderError(f"{element} carries no identifier")
    return party


def _pick(idents: tuple[Ident, ...], kind: str) -> str | None:
    for ident in idents:
        if ident.type == kind and ident.id:
            return ident.id
    return None


def _mh_idents(ident_nodes: list[Element]) -> tuple[Ident, ...]:
    out: list[Ident] = []
    for ident in ident_nodes:
        value: str | None = None
        kind: str | None = None
        seen_id = seen_type = False
        for kid in ident:  # Id and TypeId; the first of each counts
            tag = kid.tag
            if tag == _ID:
                if not seen_id:
                    seen_id = True
                    value = kid.text
                    if value is not None:
                        value = value.strip() or None
            elif tag == _TYPE_ID and not seen_type:
                seen_type = True
                kind = kid.get("V")
                if kind is not None:
                    kind = kind.strip() or None
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
    name = " ".join([n for n in names if n]) or None
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
        given_name=" ".join([n for n in (given, middle) if n]) or None,
        birth_date=iso_date(text_at(index, _DATE_OF_BIRTH)),
        sex=v_at(index, _SEX),
    )


class _HcpTags:
    """The tags the HCP readers need in one namespace (attributes read faster than lookups)."""

    __slots__ = (
        "additional_id",
        "dept",
        "hcp",
        "hcperson",
        "hcprof",
        "id",
        "inst",
        "name",
        "type",
        "type_id",
    )

    def __init__(self, t: TagTable) -> None:
        self.hcp, self.inst, self.hcprof = t["HCP"], t["Inst"], t["HCProf"]
        self.dept, self.hcperson, self.name = t["Dept"], t["HCPerson"], t["Name"]
        self.id, self.type_id = t["Id"], t["TypeId"]
        self.additional_id, self.type = t["AdditionalId"], t["Type"]


_HCP_TAGS: dict[str, _HcpTags] = {}


def _hcp_tags(t: TagTable) -> _HcpTags:
    tags = _HCP_TAGS.get(t["HCP"])
    if tags is None:
        tags = _HCP_TAGS[t["HCP"]] = _HcpTags(t)
    return tags


def _hcp_idents(q: _HcpTags, node: Element) -> tuple[tuple[Ident, ...], Index]:
    """Identifiers of an ``Inst``, ``Dept``, ``HCPerson`` or ``HCProf``, and its index."""
    index, extras = kids_and_all(node, q.additional_id)
    id_el = index.get(q.id)
    type_el = index.get(q.type_id)
    if id_el is None and type_el is None:
        if not extras:
            return (), index
        out: list[Ident] = []
    else:
        value = text_of(id_el)
        kind = v_of(type_el)
        if value is None and kind is None:
            if not extras:
                return (), index
            out = []
        else:
            out = [Ident(id=value or "", type=kind or "")]
    for extra in extras:
        extra_id, extra_type = two_kids(extra, q.id, q.type)
        out.append(Ident(id=text_of(extra_id) or "", type=v_of(extra_type) or ""))
    return tuple(out), index


def _hcp_person(q: _HcpTags, node: Element | None) -> Person | None:
    if node is None:
        return None
    idents, index = _hcp_idents(q, node)
    return Person(
        name=text_of(index.get(q.name)),
        hpr=_pick(idents, _HPR),
        her_id=_pick(idents, _HER),
        idents=idents,
    )


def hcp_party(t: TagTable, node: Element | None) -> Party:
    """ServProvider, Requester, CopyDest (Message-rooted) or AppRec Sender/Receiver.

    ``t`` is the tag table of the message's namespace.
    """
    if node is None:
        return hcp_party_at(t, NO_KIDS)
    return _hcp_party(_hcp_tags(t), first_kid(node, t["HCP"]))


def hcp_party_at(t: TagTable, index: Index) -> Party:
    """:func:`hcp_party` of an already indexed node."""
    return _hcp_party(_hcp_tags(t), index.get(t["HCP"]))


def hcp_party_of(t: TagTable, hcp: Element | None) -> Party:
    """:func:`hcp_party` given the ``HCP`` element itself."""
    return _hcp_party(_hcp_tags(t), hcp)


def _hcp_party(q: _HcpTags, hcp: Element | None) -> Party:
    inst: Element | None = None
    hcprof: Element | None = None
    if hcp is not None:
        inst, hcprof = two_kids(hcp, q.inst, q.hcprof)
    if inst is None:
        return Party(person=_hcp_person(q, hcprof))
    idents, inst_index = _hcp_idents(q, inst)
    dept = inst_index.get(q.dept)
    unit_idents: tuple[Ident, ...] = ()
    unit_name: str | None = None
    if dept is not None:
        unit_idents, dept_index = _hcp_idents(q, dept)
        unit_name = text_of(dept_index.get(q.name))
    return Party(
        name=text_of(inst_index.get(q.name)),
        org_her_id=_pick(idents, _HER) if idents else None,
        org_no=_pick(idents, _ENH) if idents else None,
        idents=idents,
        unit_name=unit_name,
        unit_her_id=_pick(unit_idents, _HER) if unit_idents else None,
        unit_idents=unit_idents,
        person=_hcp_person(q, inst_index.get(q.hcperson)),
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
        birth_date=iso_date(v_at(index, t["DateOfBirth"])),
        sex=v_at(index, t["Sex"]),
    )
