"""Who receives an event, and why: a pure function of the facts, the registry, the rules and
the patient's state. Every candidate ends up either granted (with a reason and a topic) or
refused (with a reason); nobody is reached without a rule that names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from streams.registries.records import CareLevel, CommunicationParty, PartyKind
from streams.registries.view import PatientContext, RegistryView
from streams.routing.facts import RoutingFacts
from streams.routing.rules import REASON_OF_TARGET, Rule, RuleSet, Target
from streams.routing.state import PatientState

TEST_TOPIC = "delivery.test"
CITIZEN_TOPIC = "delivery.citizen"


@dataclass(frozen=True, slots=True)
class Grant:
    her_id: str  # recipient address (the citizen portal's HER-id for citizens)
    name: str | None
    care_level: str  # CareLevel value, or "test"
    topic: str  # catalogue name of the delivery topic
    reason: str  # DecisionReason symbol
    rule_id: str
    priority: str
    person: str | None = None  # the citizen a portal delivery is for (national id)

    @property
    def address(self) -> tuple[str, str | None]:
        return (self.her_id, self.person)


@dataclass(frozen=True, slots=True)
class Refusal:
    her_id: str
    name: str | None
    care_level: str
    reason: str
    detail: str
    rule_id: str
    person: str | None = None  # the citizen a refused portal grant was for (national id)


@dataclass(frozen=True, slots=True)
class Routing:
    grants: tuple[Grant, ...]
    refusals: tuple[Refusal, ...]

    def recipients(self) -> set[str]:
        return {g.her_id for g in self.grants}

    def addresses(self) -> set[tuple[str, str | None]]:
        return {g.address for g in self.grants}


def topic_for(party: CommunicationParty, view: RegistryView) -> str:
    if party.care_level is CareLevel.NATIONAL:
        for service in view.services.values():
            if service.her_id == party.her_id:
                return f"delivery.national.{service.topic_suffix}"
    return f"delivery.{party.care_level.value}"


def _deliverable(party: CommunicationParty, view: RegistryView) -> CommunicationParty:
    """A GP (a person in a role) is reached through the GP office it belongs to."""
    if party.kind is PartyKind.GP and party.parent_her_id:
        return view.party(party.parent_her_id) or party
    return party


def route(
    facts: RoutingFacts,
    view: RegistryView,
    rules: RuleSet,
    state: PatientState | None = None,
    person_key: Callable[[str], str] | None = None,
) -> Routing:
    """``person_key`` finds the citizens a remembered document reached (kept by key only)."""
    state = state or PatientState()
    patient = view.patient(facts.patient_key)
    if facts.action in ("M", "C", "A"):  # change, cancel, addendum
        original = state.document_recipients.get(facts.document_key)
        if original:
            return _to_original_recipients(original, _citizens(facts, patient, person_key))
    grants: dict[tuple[str, str | None], Grant] = {}
    refusals: list[Refusal] = []
    for rule in rules.rules_for(facts.msg_type):
        for outcome in _candidates(rule, facts, view, patient, state):
            if isinstance(outcome, Refusal):
                refusals.append(outcome)
            elif outcome.address not in grants:
                grants[outcome.address] = outcome
    if facts.is_test:
        return _as_test_traffic(tuple(grants.values()), tuple(refusals))
    return Routing(tuple(grants.values()), tuple(refusals))


def _citizens(
    facts: RoutingFacts, patient: PatientContext | None, person_key: Callable[[str], str] | None
) -> dict[str, str]:
    """Pseudonymous key → national id of the citizens who may read the patient's messages now:
    the patient and the relatives whose proxy rights hold today."""
    if person_key is None:
        return {}
    people = [facts.national_id, *(patient.proxies if patient else ())]
    return {person_key(p): p for p in people if p}


def _to_original_recipients(original: tuple[Grant, ...], citizens: Mapping[str, str]) -> Routing:
    """The recipients of the original document; a citizen it reached only while still entitled
    (a relative whose proxy right ended is refused, not sent the change)."""
    grants: list[Grant] = []
    refusals: list[Refusal] = []
    for g in original:
        person = citizens.get(g.person) if g.person is not None else None
        if g.person is not None and person is None:
            refusals.append(
                Refusal(
                    g.her_id,
                    g.name,
                    g.care_level,
                    "NO_LEGITIMATE_REASON",
                    "the citizen the original reached may no longer read the patient's messages",
                    "original-recipients",
                )
            )
            continue
        grants.append(
            Grant(
                g.her_id,
                g.name,
                g.care_level,
                g.topic,
                "ORIGINAL_RECIPIENT",
                "original-recipients",
                g.priority,
                person,
            )
        )
    return Routing(tuple(grants), tuple(refusals))


def _as_test_traffic(grants: tuple[Grant, ...], refusals: tuple[Refusal, ...]) -> Routing:
    """Test traffic reaches only its addressees, and only on the test topic: never national
    services, citizens, or parties found through the patient's (real) registry data."""
    kept: list[Grant] = []
    refused = list(refusals)
    for g in grants:
        if g.reason in ("ADDRESSED", "COPY_RECEIVER") and g.care_level not in (
            CareLevel.NATIONAL.value,
            CareLevel.CITIZEN.value,
        ):
            kept.append(
                Grant(g.her_id, g.name, "test", TEST_TOPIC, "TEST_TRAFFIC", g.rule_id, g.priority)
            )
        else:
            refused.append(
                Refusal(
                    g.her_id,
                    g.name,
                    g.care_level,
                    "TEST_TRAFFIC",
                    "test traffic reaches only its addressees, on the test topic",
                    g.rule_id,
                    g.person,
                )
            )
    return Routing(tuple(kept), tuple(refused))


def _candidates(
    rule: Rule,
    facts: RoutingFacts,
    view: RegistryView,
    patient: PatientContext | None,
    state: PatientState,
) -> Iterator[Grant | Refusal]:
    reason = REASON_OF_TARGET[rule.target]
    if rule.requires_core_journal and patient is not None and patient.core_journal_opt_out:
        for her_id in _party_ids(rule, facts, view, patient, state):
            party = view.party(her_id)
            yield Refusal(
                her_id,
                party.name if party else None,
                party.care_level.value if party else "unknown",
                "CORE_JOURNAL_OPT_OUT",
                "the patient has opted out of the core journal",
                rule.id,
            )
        return
    if rule.target is Target.CITIZEN:
        yield from _citizen(rule, facts, view, patient)
        return
    if rule.target is Target.NATIONAL_SERVICE:
        yield from _national(rule, facts, view)
        return
    for her_id in _party_ids(rule, facts, view, patient, state):
        yield _grant_party(her_id, reason, rule, facts, view)


def _party_ids(
    rule: Rule,
    facts: RoutingFacts,
    view: RegistryView,
    patient: PatientContext | None,
    state: PatientState,
) -> Iterator[str]:
    if rule.target is Target.ADDRESSED:
        if facts.receiver_her_id:
            yield facts.receiver_her_id
    elif rule.target is Target.COPY_RECEIVERS:
        yield from facts.copy_her_ids
    elif rule.target is Target.PATIENT_GP:
        gp = patient.gp_her_id if patient else None
        if gp and not (rule.unless_addressed and _addresses(facts, gp, view)):
            yield gp
    elif rule.target is Target.CARE_RELATIONSHIPS:
        relationships = state.active_relationships(patient)
        for rel in relationships:
            if rule.kinds and rel.kind not in rule.kinds:
                continue
            if rule.relationship_reasons and rel.reason not in rule.relationship_reasons:
                continue
            if rule.care_levels and not _at_level(view, rel.her_id, rule.care_levels):
                continue
            if rel.her_id != facts.sender_her_id:
                yield rel.her_id


def _at_level(view: RegistryView, her_id: str, levels: frozenset[str]) -> bool:
    party = view.party(her_id)
    return party is not None and party.care_level.value in levels


def _addresses(facts: RoutingFacts, gp_her_id: str, view: RegistryView) -> bool:
    """True when the message already goes to the GP or the GP's office."""
    addressed = {facts.receiver_her_id, *facts.copy_her_ids}
    gp = view.party(gp_her_id)
    return gp_her_id in addressed or bool(gp and gp.parent_her_id in addressed)


def _grant_party(
    her_id: str, reason: str, rule: Rule, facts: RoutingFacts, view: RegistryView
) -> Grant | Refusal:
    found = view.party(her_id)
    if found is None:
        return Refusal(
            her_id, None, "unknown", "UNKNOWN_RECEIVER", "not in the address register", rule.id
        )
    party = _deliverable(found, view)
    if party.kind is not PartyKind.TEST and not party.accepts_message(
        facts.msg_type, facts.standard_version
    ):
        return Refusal(
            party.her_id,
            party.name,
            party.care_level.value,
            "CANNOT_RECEIVE_TYPE",
            f"does not take {facts.msg_type} {facts.standard_version}",
            rule.id,
        )
    if party.kind is PartyKind.TEST:  # a test service takes only the test topic
        return Grant(party.her_id, party.name, "test", TEST_TOPIC, reason, rule.id, rule.priority)
    return Grant(
        party.her_id,
        party.name,
        party.care_level.value,
        topic_for(party, view),
        reason,
        rule.id,
        rule.priority,
    )


def _national(rule: Rule, facts: RoutingFacts, view: RegistryView) -> Iterator[Grant | Refusal]:
    service = view.service(rule.service or "")
    if service is None:
        yield Refusal(
            rule.service or "?",
            None,
            CareLevel.NATIONAL.value,
            "UNKNOWN_RECEIVER",
            "national service not registered",
            rule.id,
        )
    elif facts.msg_type not in service.entitled_types:
        yield Refusal(
            service.her_id,
            service.name,
            CareLevel.NATIONAL.value,
            "NO_LEGITIMATE_REASON",
            f"not entitled to {facts.msg_type}",
            rule.id,
        )
    else:
        yield Grant(
            service.her_id,
            service.name,
            CareLevel.NATIONAL.value,
            f"delivery.national.{service.topic_suffix}",
            "NATIONAL_SERVICE",
            rule.id,
            rule.priority,
        )


def _citizen(
    rule: Rule, facts: RoutingFacts, view: RegistryView, patient: PatientContext | None
) -> Iterator[Grant | Refusal]:
    """The patient and relatives with proxy rights, through the citizen portal's topic."""
    if not facts.national_id:
        return
    portal = view.service("helsenorge")
    portal_her = portal.her_id if portal else "helsenorge"
    portal_name = portal.name if portal else None
    people = [(facts.national_id, "CITIZEN")]
    people += [(p, "CITIZEN_PROXY") for p in (patient.proxies if patient else ())]
    for person, reason in people:
        if facts.category and facts.category in rule.withheld_categories:
            yield Refusal(
                portal_her,
                portal_name,
                CareLevel.CITIZEN.value,
                "WITHHELD_FROM_CITIZEN",
                f"result category {facts.category} is withheld from citizens",
                rule.id,
            )
            return
        yield Grant(
            portal_her,
            portal_name,
            CareLevel.CITIZEN.value,
            CITIZEN_TOPIC,
            reason,
            rule.id,
            rule.priority,
            person,
        )
