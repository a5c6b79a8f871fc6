"""AppRec writer (STANDARDS §5; AppRec v1.1 and HITS 1168).

Addressing mirrors the received message: the AppRec's ``Sender`` is the receiver that answers
(primary, or a copy receiver), its ``Receiver`` the original sender, each with every identifier
the message carried (``AdditionalId``). Sub-units become ``Dept``, persons ``HCPerson``. The
version (1.0 or 1.1) is the one the incoming standard dictates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from lxml import etree

from schemas.errors import MessageError
from schemas.model import HeaderFamily, Ident, ParsedMessage, Party, Person
from schemas.xml._party import identifies
from schemas.xml.catalog import apprec_version_for

__all__ = ["ERROR_TEXTS", "AppRecError", "AppRecStatus", "build_apprec", "receipts_for"]

_NS = {
    "1.0": "http://www.kith.no/xmlstds/apprec/2004-11-21",
    "1.1": "http://www.kith.no/xmlstds/apprec/2012-02-15",
}
_MIG = {"1.0": "1.0 2004-11-21", "1.1": "v1.1 2012-02-15"}
_OID_8221 = "2.16.578.1.12.4.1.1.8221"
_OSLO = ZoneInfo("Europe/Oslo")
_TYPE_DN = {
    "HER": "HER-id",
    "ENH": "Organisasjonsnummeret i Enhetsregister",
    "HPR": "HPR-nummer",
    "LOK": "Lokal identifikator",
}

ERROR_TEXTS: dict[str, str] = {
    "T01": "Ikke XML / ikke velformet / ikke mulig å parse",
    "T02": "XML validerer ikke",
    "T10": "Støtter ikke meldingsformatet",
    "T99": "Annen feil på format",
    "S01": "Feil på signatur",
    "S02": "Ugyldig sertifikat",
    "S03": "Tilbaketrukket sertifikat",
    "S99": "Annen feil på signatur/sertifikat",
    "E10": "Ugyldig meldingsidentifikator",
    "E20": "Lege finnes ikke",
    "E21": "Mottaker finnes ikke",
    "E30": "Pasientens fødselsnummer mangler",
    "E31": "Pasientens fødselsnummer er feil",
    "E32": "Pasientens navn mangler",
    "E35": "Pasienten finnes ikke i mottakersystemet",
    "E36": "Pasientopplysninger er utilstrekkelige",
    "E53": "Fødselsnummer/D-nummer finnes ikke i Folkeregisteret",
    "E54": "Fødselsnummer er ikke registrert i mottakersystemet",
    "X99": "Annen feil",
}


class AppRecStatus(StrEnum):
    """Kodeverk 8258."""

    OK = "1"
    REJECTED = "2"
    OK_ERRORS_IN_PARTS = "3"

    @classmethod
    def parse(cls, value: str) -> AppRecStatus:
        key = value.strip().lower().replace("_", "-")
        aliases = {
            "ok": cls.OK,
            "rejected": cls.REJECTED,
            "avvist": cls.REJECTED,
            "ok-errors-in-parts": cls.OK_ERRORS_IN_PARTS,
            "partial": cls.OK_ERRORS_IN_PARTS,
        }
        if key in aliases:
            return aliases[key]
        return cls(key)

    @property
    def text(self) -> str:
        return {"1": "OK", "2": "Avvist", "3": "OK, feil i delmelding"}[self.value]


@dataclass(frozen=True, slots=True)
class AppRecError:
    """One ``Error`` (kodeverk 8221); ``detail`` goes to ``OT`` and is shown to the user."""

    code: str
    detail: str | None = None

    @classmethod
    def of(cls, error: MessageError | AppRecError | str) -> AppRecError:
        if isinstance(error, AppRecError):
            return error
        if isinstance(error, MessageError):
            return cls(error.code, error.detail)
        return cls(error)


def roles(msg: ParsedMessage, version: str, copy: bool) -> tuple[str | None, str | None]:
    """(the AppRec sender's role, the receiver's role): what the AppRec XML writes."""
    if version == "1.1":
        return ("COP" if copy else "PRIM"), "AVS"
    if msg.standard in ("epikrise", "svarrapport"):
        return ("COP" if copy else "REQ"), "SPR"
    if msg.standard in ("henvisning", "rekvisisjon"):
        return ("COP" if copy else "SPR"), "REQ"
    return ("COP" if copy else None), None


class _Writer:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def sub(
        self, parent: etree._Element, local: str, text: str | None = None, **attrs: str | None
    ) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{local}")
        for key, value in attrs.items():
            if value:
                el.set(key, value)
        if text is not None:
            el.text = text
        return el

    def idents(
        self,
        parent: etree._Element,
        idents: Sequence[Ident],
        name: str | None,
        extra_type: str = "Type",
    ) -> list[Ident]:
        """Writes Name, Id, TypeId; returns the remaining idents for AdditionalId."""
        if name:
            self.sub(parent, "Name", name)
        main = next((i for i in idents if i.type == "HER" and i.id), None)
        main = main or next((i for i in idents if i.id), None)
        if main is not None:
            self.sub(parent, "Id", main.id)
            self.sub(parent, "TypeId", V=main.type or None, DN=_TYPE_DN.get(main.type))
        return [i for i in idents if i is not main and i.id]

    def additional(self, parent: etree._Element, idents: Sequence[Ident]) -> None:
        for ident in idents:
            extra = self.sub(parent, "AdditionalId")
            self.sub(extra, "Id", ident.id)
            self.sub(extra, "Type", V=ident.type or "XXX", DN=_TYPE_DN.get(ident.type))

    def person(self, parent: etree._Element, local: str, person: Person) -> None:
        node = self.sub(parent, local)
        idents = list(person.idents) or [
            Ident(i, t) for i, t in ((person.her_id, "HER"), (person.hpr, "HPR")) if i
        ]
        self.additional(node, self.idents(node, idents, person.name))

    def party(self, parent: etree._Element, party: Party, role: str | None) -> None:
        if role:
            self.sub(parent, "Role", V=role)
        hcp = self.sub(parent, "HCP")
        if not party.idents and not party.name and party.person is not None:
            self.person(hcp, "HCProf", party.person)
            return
        inst = self.sub(hcp, "Inst")
        org_idents = list(party.idents) or [
            Ident(i, t) for i, t in ((party.org_her_id, "HER"), (party.org_no, "ENH")) if i
        ]
        rest = self.idents(inst, org_idents, party.name)
        if party.unit_name or party.unit_idents or party.unit_her_id:
            dept = self.sub(inst, "Dept")
            unit_idents = list(party.unit_idents) or (
                [Ident(party.unit_her_id, "HER")] if party.unit_her_id else []
            )
            self.additional(dept, self.idents(dept, unit_idents, party.unit_name))
        self.additional(inst, rest)
        if party.person is not None:
            self.person(inst, "HCPerson", party.person)


def build_apprec(
    msg: ParsedMessage,
    status: AppRecStatus | str,
    errors: Sequence[MessageError | AppRecError | str] = (),
    *,
    as_receiver: Party | None = None,
    copy: bool = False,
    apprec_id: str | None = None,
    now: datetime | None = None,
    version: str | None = None,
) -> bytes:
    """One AppRec answering ``msg`` on behalf of ``as_receiver`` (default: the primary receiver).

    A rejection or an "OK, errors in parts" must say what was wrong (kodeverk 8221, the detail
    in ``OT``): without ``errors`` it raises ``ValueError`` rather than write a receipt the
    sender cannot act on."""
    state = status if isinstance(status, AppRecStatus) else AppRecStatus.parse(status)
    if state is not AppRecStatus.OK and not errors:
        raise ValueError(f"an AppRec with status {state.text!r} must name at least one error")
    ver = version or apprec_version_for(msg.standard, msg.standard_version)
    w = _Writer(_NS[ver])
    root = etree.fromstring(f'<AppRec xmlns="{w.ns}"/>'.encode())  # default ns, no prefixes
    w.sub(root, "MsgType", V="APPREC", DN="Applikasjonskvittering")
    w.sub(root, "MIGversion", _MIG[ver])
    w.sub(root, "GenDate", (now or datetime.now(_OSLO)).isoformat(timespec="seconds"))
    w.sub(root, "Id", apprec_id or str(uuid.uuid4()))
    sender_role, receiver_role = roles(msg, ver, copy)
    w.party(w.sub(root, "Sender"), as_receiver or msg.receiver, sender_role)
    w.party(w.sub(root, "Receiver"), msg.sender, receiver_role)
    w.sub(root, "Status", V=state.value, DN=state.text)
    for error in (AppRecError.of(e) for e in errors):
        w.sub(
            root,
            "Error",
            V=error.code,
            S=_OID_8221,
            DN=ERROR_TEXTS.get(error.code),
            OT=error.detail,
        )
    original = w.sub(root, "OriginalMsgId")
    # as the sender wrote them: the original's type, its GenDate, its id
    w.sub(original, "MsgType", V=msg.body.get("msg_type_as_sent") or msg.msg_type)
    w.sub(original, "IssueDate", msg.body.get("gen_date_as_sent") or msg.generated_at.isoformat())
    w.sub(original, "Id", msg.body.get("msg_id_as_sent") or msg.message_id)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def receipts_for(
    msg: ParsedMessage,
    status: AppRecStatus | str,
    errors: Sequence[MessageError | AppRecError | str] = (),
    *,
    is_ours: Callable[[Party], bool] | None = None,
    ids: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[tuple[Party, bytes]]:
    """One AppRec per recognised receiver (primary, then each copy receiver).

    ``is_ours`` decides which receivers are in our organisation (default: all); ``ids`` fixes
    the AppRec ids in order (for tests). No receipt answers an AppRec, and none is produced when
    the original sender cannot be identified (HITS 1168 §5).
    """
    if msg.family is HeaderFamily.APPREC or not identifies(msg.sender):
        return []
    targets = [(msg.receiver, False)] + [(c, True) for c in msg.copy_receivers]
    out: list[tuple[Party, bytes]] = []
    answered: set[str] = set()
    for party, copy in targets:
        if is_ours is not None and not is_ours(party):
            continue
        if party.her_id is not None:
            if party.her_id in answered:
                continue  # also listed as a copy receiver: one AppRec per receiver
            answered.add(party.her_id)
        apprec_id = ids[len(out)] if ids is not None and len(out) < len(ids) else None
        out.append(
            (
                party,
                build_apprec(
                    msg, status, errors, as_receiver=party, copy=copy, apprec_id=apprec_id, now=now
                ),
            )
        )
    return out

