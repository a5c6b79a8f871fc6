"""The parsed form of a Norwegian health message, shared by parsers, mapping, routing and AppRec.

Parsers in :mod:`schemas.xml` produce a :class:`ParsedMessage` from raw bytes; the canonical Avro
event is mapped from it (:mod:`schemas.canonical`); routing and receipts read it. It is a plain,
immutable value so every step that uses it is a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class HeaderFamily(StrEnum):
    """Which envelope the document came in (STANDARDS.md §1.3)."""

    MSGHEAD = "msghead"  # Hodemelding v1.2 around Dialogmelding, PLO, Henvisning 2.0, e-resept
    MESSAGE = "message"  # own `Message` header: Epikrise, Henvisning 1.x, Rekvisisjon, Svarrapport
    APPREC = "apprec"  # application receipt, never wrapped


class Action(StrEnum):
    """Kodeverk 7309 Tjenestetype: what the message does to the document it carries.

    ``A`` (Tillegg, an addendum to the document) is not in the published code list, but real
    lab systems send it on requisitions and result reports (``ServType V="A"``, with the report
    status ``A`` "Tillegg til rapport"); it carries the original's document id."""

    NEW = "N"
    CHANGE = "M"
    CANCEL = "C"
    ADDENDUM = "A"


@dataclass(frozen=True, slots=True)
class Ident:
    """One identifier with its type code (kodeverk 9051 for organisations, 8116 for persons)."""

    id: str
    type: str  # e.g. HER, ENH, LOK, FNR, DNR, HNR, HPR


@dataclass(frozen=True, slots=True)
class Person:
    """A health professional acting for a party (MsgHead HealthcareProfessional)."""

    name: str | None = None
    hpr: str | None = None
    her_id: str | None = None
    idents: tuple[Ident, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    """A communication party: organisation, optional sub-unit (department/service), person.

    ``her_id`` is the most specific HER-id known (the sub-unit's when it has one) — the address
    the message is delivered to; ``org_her_id`` is the top organisation's. When neither the
    organisation nor a sub-unit has a HER-id, the person's is the address: a message to or from
    a GP is often written as an organisation known only by its organisation number with the
    doctor's person-in-role HER-id (MsgHead ``HealthcareProfessional``, ``HCPerson``).
    """

    name: str | None = None
    org_her_id: str | None = None
    org_no: str | None = None
    idents: tuple[Ident, ...] = ()
    unit_name: str | None = None
    unit_her_id: str | None = None
    unit_idents: tuple[Ident, ...] = ()
    person: Person | None = None

    @property
    def her_id(self) -> str | None:
        own = self.unit_her_id or self.org_her_id
        if own is None and self.person is not None:
            return self.person.her_id
        return own


@dataclass(frozen=True, slots=True)
class Patient:
    """The subject of the message. Personal data: never log it; mask ``national_id``."""

    idents: tuple[Ident, ...] = ()
    family_name: str | None = None
    given_name: str | None = None
    birth_date: str | None = None  # ISO date as written in the message
    sex: str | None = None

    @property
    def national_id(self) -> str | None:
        """The fødselsnummer, D-nummer, H-nummer or FH-nummer, in that order of preference.

        As the business rules read them: type codes in any case, an empty id is no id (an
        empty FNR next to a valid D-number is the D-number)."""
        for kind in ("FNR", "DNR", "HNR", "FHN"):
            for ident in self.idents:
                if ident.type.strip().upper() == kind:
                    value = ident.id.strip()
                    if value:
                        return value
        return None


@dataclass(frozen=True, slots=True)
class Observation:
    """One result item of a Svarrapport (lab or radiology)."""

    code: str | None
    code_system: str | None
    name: str | None
    value: str | None
    unit: str | None = None
    status: str | None = None  # StatusInvestigation
    action: Action | None = None  # per-item ServType inside a changed report
    abnormal: bool | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything samflyt needs from one incoming message, independent of the standard.

    ``msg_type`` is the kodeverk 8279 code (``DIALOG_FORESPORSEL``, ``INNLEGGELSESRAPPORT``,
    ``SVAR_LAB``, ``APPREC`` …), normalised from legacy single-letter codes; ``standard`` and
    ``standard_version`` name the document standard (``plo``/``1.6``); ``document_id`` is the id
    a change or cancel refers to (STANDARDS.md §4); ``body`` holds type-specific fields that the
    canonical mapping needs (e.g. dialogue theme, result category); ``observations`` the result
    items of a Svarrapport. ``raw`` is the original bytes, kept so nothing is lost.
    """

    family: HeaderFamily
    msg_type: str
    standard: str
    standard_version: str
    root_namespace: str
    message_id: str  # trimmed and lower-cased
    generated_at: datetime
    sender: Party
    receiver: Party
    raw: bytes
    copy_receivers: tuple[Party, ...] = ()
    patient: Patient | None = None
    action: Action = Action.NEW
    document_id: str | None = None
    refers_to_parent: str | None = None  # ConversationRef/RefToParent
    conversation_id: str | None = None  # ConversationRef/RefToConversation
    related_request_id: str | None = None  # referral ↔ epikrise, requisition ↔ result
    is_test: bool = False
    priority: str | None = None
    body: dict[str, str] = field(default_factory=dict)
    observations: tuple[Observation, ...] = ()
