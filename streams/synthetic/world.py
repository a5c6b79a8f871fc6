"""The value types of a synthetic world: municipalities, patients, and the world with lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from streams.registries.records import (
    CareRelationship,
    CommunicationParty,
    CoreJournalOptOut,
    GpAssignment,
    NationalService,
    PartyKind,
    ProxyRight,
    Residence,
)

__all__ = ["Municipality", "SyntheticPatient", "SyntheticWorld"]


@dataclass(frozen=True, slots=True)
class Municipality:
    number: str  # kommunenummer, 4 digits
    name: str
    county: str
    sami_name: str | None = None


@dataclass(frozen=True, slots=True)
class SyntheticPatient:
    """A synthetic person (Tenor-scheme national id). ``sex`` is kodeverk 3101: 1 man, 2 woman."""

    national_id: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    municipality_code: str
    street: str
    city: str
    phone: str


@dataclass(frozen=True)
class SyntheticWorld:
    """Everything the generator knows: the registries as of ``as_of`` plus the patients.

    The lookups are derived once (cached) and never change: the world is a value. Dynamic care
    relationships (a hospital admission) live in the traffic generator's own state.
    """

    seed: int
    scale: str
    as_of: date
    municipalities: tuple[Municipality, ...]
    parties: tuple[CommunicationParty, ...]
    national_services: tuple[NationalService, ...]
    patients: tuple[SyntheticPatient, ...]
    gp_assignments: tuple[GpAssignment, ...]
    care_relationships: tuple[CareRelationship, ...]
    residences: tuple[Residence, ...]
    proxy_rights: tuple[ProxyRight, ...]
    core_journal_opt_outs: tuple[CoreJournalOptOut, ...]
    test_party_her_id: str

    @cached_property
    def _parties(self) -> dict[str, CommunicationParty]:
        return {p.her_id: p for p in self.parties}

    @cached_property
    def _units(self) -> dict[tuple[str, PartyKind], tuple[CommunicationParty, ...]]:
        out: dict[tuple[str, PartyKind], list[CommunicationParty]] = {}
        for p in self.parties:
            if p.municipality_code is not None:
                out.setdefault((p.municipality_code, p.kind), []).append(p)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _gp(self) -> dict[str, GpAssignment]:
        return {a.national_id: a for a in self.gp_assignments}

    @cached_property
    def _care(self) -> dict[str, tuple[CareRelationship, ...]]:
        out: dict[str, list[CareRelationship]] = {}
        for c in self.care_relationships:
            out.setdefault(c.national_id, []).append(c)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _proxies(self) -> dict[str, tuple[ProxyRight, ...]]:
        out: dict[str, list[ProxyRight]] = {}
        for p in self.proxy_rights:
            out.setdefault(p.national_id, []).append(p)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _opted_out(self) -> frozenset[str]:
        return frozenset(o.national_id for o in self.core_journal_opt_outs)

    @cached_property
    def _services(self) -> dict[str, NationalService]:
        return {s.topic_suffix: s for s in self.national_services}

    @cached_property
    def _patients(self) -> dict[str, SyntheticPatient]:
        return {p.national_id: p for p in self.patients}

    def party(self, her_id: str) -> CommunicationParty:
        """The party with this HER-id; KeyError when unknown."""
        return self._parties[her_id]

    def has_party(self, her_id: str) -> bool:
        return her_id in self._parties

    def patient(self, national_id: str) -> SyntheticPatient:
        return self._patients[national_id]

    def units(self, municipality_code: str, kind: PartyKind) -> tuple[CommunicationParty, ...]:
        """The parties of ``kind`` in a municipality (services, GP offices, GPs)."""
        return self._units.get((municipality_code, kind), ())

    def parties_of_kind(self, kind: PartyKind) -> tuple[CommunicationParty, ...]:
        return tuple(p for p in self.parties if p.kind is kind)

    def gp_of(self, national_id: str) -> CommunicationParty | None:
        """The patient's regular GP (a person), or None when the patient has none."""
        a = self._gp.get(national_id)
        return None if a is None else self._parties[a.gp_her_id]

    def gp_office_of(self, national_id: str) -> CommunicationParty | None:
        """The GP office of the patient's GP: the communication party deliveries go to."""
        gp = self.gp_of(national_id)
        if gp is None or gp.parent_her_id is None:
            return None
        return self._parties[gp.parent_her_id]

    def care_relationships_of(self, national_id: str) -> tuple[CareRelationship, ...]:
        """The patient's care relationships active on ``as_of``."""
        return tuple(c for c in self._care.get(national_id, ()) if c.active_on(self.as_of))

    def proxies_of(self, national_id: str) -> tuple[ProxyRight, ...]:
        return tuple(p for p in self._proxies.get(national_id, ()) if p.active_on(self.as_of))

    def opted_out(self, national_id: str) -> bool:
        return national_id in self._opted_out

    def service(self, topic_suffix: str) -> NationalService:
        """A national service by its topic suffix (kjernejournal, provesvar, helsenorge, ...)."""
        return self._services[topic_suffix]
