"""The registry as the router sees it: an in-memory, read-only view, looked up without I/O.

Workers hold one :class:`RegistryView` fed from the compacted registry topics
(:mod:`streams.registries.feed`); tests and the explain command build one from records
(:func:`build_view`). Patients are keyed by the pseudonymous patient key, never the national id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from streams.registries.records import (
    CareRelationship,
    CommunicationParty,
    CoreJournalOptOut,
    GpAssignment,
    NationalService,
    ProxyRight,
    Residence,
)


@dataclass(frozen=True, slots=True)
class Relationship:
    """An active care relationship of a party with a patient."""

    her_id: str
    kind: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PatientContext:
    """What the registries know of one patient, as routing needs it.

    ``relationships`` and ``proxies`` hold on any day; those that start or end after the day
    the context was read are ``dated`` (with their first and their last-plus-one day), and
    :meth:`on` says which hold on a given day: a worker reads a patient once and keeps routing
    with it for days, so a proxy right that ends must end then, not at the next restart."""

    patient_key: str
    gp_her_id: str | None = None
    municipality_code: str | None = None
    relationships: tuple[Relationship, ...] = ()
    proxies: tuple[str, ...] = ()  # national ids of relatives with proxy rights (personal data)
    core_journal_opt_out: bool = False
    dated_relationships: tuple[tuple[Relationship, date, date | None], ...] = ()
    dated_proxies: tuple[tuple[str, date, date | None], ...] = ()

    def on(self, day: date) -> PatientContext:
        """The context as it holds on ``day``: its dated items active then, undated."""
        if not (self.dated_relationships or self.dated_proxies):
            return self
        return replace(
            self,
            relationships=self.relationships
            + tuple(r for r, start, end in self.dated_relationships if active(start, end, day)),
            proxies=self.proxies
            + tuple(p for p, start, end in self.dated_proxies if active(start, end, day)),
            dated_relationships=(),
            dated_proxies=(),
        )


def active(start: date, end: date | None, day: date) -> bool:
    """Whether a period from ``start`` to ``end`` (exclusive; None: open) holds on ``day``."""
    return start <= day and (end is None or day < end)


@dataclass
class RegistryView:
    """Parties by HER-id, national services by topic suffix, patients by pseudonymous key."""

    parties: dict[str, CommunicationParty] = field(default_factory=dict)
    services: dict[str, NationalService] = field(default_factory=dict)
    patients: dict[str, PatientContext] = field(default_factory=dict)
    today: Callable[[], date] = date.today  # the day a patient's dated items are read for

    def party(self, her_id: str | None) -> CommunicationParty | None:
        return self.parties.get(her_id) if her_id else None

    def patient(self, patient_key: str | None) -> PatientContext | None:
        context = self.patients.get(patient_key) if patient_key else None
        if context is None or not (context.dated_relationships or context.dated_proxies):
            return context
        return context.on(self.today())

    def service(self, suffix: str) -> NationalService | None:
        return self.services.get(suffix)

    def put_party(self, party: CommunicationParty) -> None:
        self.parties[party.her_id] = party

    def put_patient(self, context: PatientContext) -> None:
        self.patients[context.patient_key] = context

    def remove(self, her_id: str | None = None, patient_key: str | None = None) -> None:
        """Forget a party or a patient (a tombstone on its registry topic)."""
        if her_id is not None:
            self.parties.pop(her_id, None)
        if patient_key is not None:
            self.patients.pop(patient_key, None)

    def put_service(self, service: NationalService) -> None:
        self.services[service.topic_suffix] = service


def build_view(
    *,
    parties: Iterable[CommunicationParty],
    services: Iterable[NationalService],
    gp_assignments: Iterable[GpAssignment] = (),
    residences: Iterable[Residence] = (),
    relationships: Iterable[CareRelationship] = (),
    proxies: Iterable[ProxyRight] = (),
    opt_outs: Iterable[CoreJournalOptOut] = (),
    patient_key: Callable[[str], str],
    today: date,
) -> RegistryView:
    """Join the registry records into per-patient contexts keyed by the pseudonymous key."""
    view = RegistryView()
    for party in parties:
        view.put_party(party)
    for service in services:
        view.put_service(service)
    contexts: dict[str, PatientContext] = {}

    def ctx(national_id: str) -> PatientContext:
        key = patient_key(national_id)
        return contexts.setdefault(key, PatientContext(patient_key=key))

    def update(national_id: str, **changes: object) -> None:
        key = patient_key(national_id)
        contexts[key] = replace(ctx(national_id), **changes)  # type: ignore[arg-type]

    for gp in gp_assignments:
        update(gp.national_id, gp_her_id=gp.gp_her_id)
    for residence in residences:
        update(residence.national_id, municipality_code=residence.municipality_code)
    for rel in relationships:
        if rel.active_on(today):
            rels = ctx(rel.national_id).relationships
            update(
                rel.national_id,
                relationships=(*rels, Relationship(rel.her_id, rel.kind, rel.reason)),
            )
    for proxy in proxies:
        if proxy.active_on(today):
            current = ctx(proxy.national_id).proxies
            update(proxy.national_id, proxies=(*current, proxy.proxy_national_id))
    for opt_out in opt_outs:
        update(opt_out.national_id, core_journal_opt_out=True)
    for context in contexts.values():
        view.put_patient(context)
    return view


def relationships_by_her(context: PatientContext | None) -> Mapping[str, Relationship]:
    return {r.her_id: r for r in context.relationships} if context else {}
