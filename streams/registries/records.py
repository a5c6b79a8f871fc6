"""Registry record types: who exists, who may receive what, and who cares for whom.

Plain frozen values, shared by the synthetic generator, the PostgreSQL loader and the routing
tables. HER-ids, HPR-numbers, organisation numbers and national ids are kept as strings (they are
identifiers, not numbers: leading zeros matter). National ids are personal data: never log them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CareLevel",
    "CareRelationship",
    "CommunicationParty",
    "CoreJournalOptOut",
    "GpAssignment",
    "NationalService",
    "PartyKind",
    "ProxyRight",
    "Residence",
]


class CareLevel(StrEnum):
    """The level of care a party belongs to; each level has its own delivery topics."""

    MUNICIPAL = "municipal"
    GP = "gp"
    SPECIALIST = "specialist"
    NATIONAL = "national"
    CITIZEN = "citizen"


class PartyKind(StrEnum):
    """What kind of service a communication party is (Adresseregisteret has a richer list)."""

    MUNICIPALITY = "municipality"  # the kommune itself, parent of its services
    CARE_ALLOCATION = "care_allocation"  # tildelingskontor / koordinerende enhet
    HOME_CARE = "home_care"
    NURSING_HOME = "nursing_home"
    HEALTH_STATION = "health_station"
    EMERGENCY_PRIMARY_CARE = "emergency_primary_care"
    MUNICIPAL_ACUTE_BEDS = "municipal_acute_beds"
    PSYCHIATRY = "psychiatry"
    GP_OFFICE = "gp_office"
    GP = "gp"  # a person in a role; parent is the GP office
    HOSPITAL = "hospital"  # the health trust (helseforetak)
    HOSPITAL_DEPARTMENT = "hospital_department"
    LAB = "lab"
    RADIOLOGY = "radiology"
    NATIONAL_SERVICE = "national_service"
    CITIZEN_PORTAL = "citizen_portal"
    TEST = "test"  # a test service: only test traffic may reach it


@dataclass(frozen=True, slots=True)
class CommunicationParty:
    """One entry of the address register: an organisation, a service in it, or a person in a role.

    ``accepts`` maps a message type (kodeverk 8279 code, or a samflyt event type) to the standard
    versions the party can receive, e.g. ``{"DIALOG_HELSEFAGLIG": ("1.1",)}``; a type missing from
    it is not accepted. ``parent_her_id`` links a service or person to its organisation.
    """

    her_id: str
    name: str
    kind: PartyKind
    care_level: CareLevel
    municipality_code: str | None = None
    parent_her_id: str | None = None
    org_no: str | None = None
    hpr: str | None = None  # persons only
    accepts: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    active: bool = True

    def accepts_message(self, msg_type: str, version: str) -> bool:
        """True when the party is active and takes ``msg_type`` in ``version``."""
        return self.active and version in self.accepts.get(msg_type, ())


@dataclass(frozen=True, slots=True)
class GpAssignment:
    """Fastlegeregisteret: the patient's regular GP (a person's HER-id) since a date."""

    national_id: str
    gp_her_id: str
    since: date


@dataclass(frozen=True, slots=True)
class CareRelationship:
    """A party's care relationship with a patient, the basis of a professional need to know.

    ``kind`` is the kind of service (a :class:`PartyKind` value); ``reason`` why it exists (e.g.
    ``home_nursing``, ``medication_administration``, ``admission``). Active while ``ended_at`` is
    None or in the future.
    """

    national_id: str
    her_id: str
    kind: str
    started_at: date
    ended_at: date | None = None
    reason: str = ""

    def active_on(self, day: date) -> bool:
        return self.started_at <= day and (self.ended_at is None or day < self.ended_at)


@dataclass(frozen=True, slots=True)
class NationalService:
    """A national service subscribing to samflyt: what it is entitled to and where it reads.

    Deliveries go to the topic ``<delivery prefix>.<topic_suffix>``; ``entitled_types`` are the
    message types it may receive.
    """

    her_id: str
    name: str
    topic_suffix: str
    entitled_types: frozenset[str]


@dataclass(frozen=True, slots=True)
class Residence:
    """The patient's municipality of residence (Folkeregisteret)."""

    national_id: str
    municipality_code: str


@dataclass(frozen=True, slots=True)
class ProxyRight:
    """A relative (``proxy_national_id``) who may act for the patient on the citizen portal."""

    national_id: str
    proxy_national_id: str
    relation: str  # e.g. child, spouse, parent
    valid_from: date
    valid_to: date | None = None

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class CoreJournalOptOut:
    """The patient has opted out of Kjernejournal: no core-journal events for them."""

    national_id: str
