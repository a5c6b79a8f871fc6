from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from schemas.errors import ConfigError
from streams.registries.records import CareLevel, CommunicationParty, NationalService, PartyKind
from streams.registries.view import PatientContext, RegistryView, Relationship
from streams.routing.evaluate import route
from streams.routing.facts import RoutingFacts
from streams.routing.rules import RuleSetSource, load_rule_set, parse_rule_set
from streams.routing.state import MAX_DOCUMENTS, PatientState, next_state
from streams.settings import REPO_ROOT

RULES = load_rule_set(REPO_ROOT / "streams" / "routing" / "rules.yaml")
ALL = {
    t: ("1.0", "1.1", "1.2", "1.4", "1.6")
    for t in (
        "DIALOG_FORESPORSEL",
        "DIALOG_SVAR",
        "INNLEGGELSESRAPPORT",
        "EPIKRISE",
        "SVAR_LAB",
        "SAMFLYT_KJ_KRITISK_INFO",
        "SAMFLYT_KJ_LEGEMIDDELENDRING",
        "SAMFLYT_ALARM",
    )
}


def KEY(national_id: str) -> str:  # a stand-in for the patient key
    return "key-" + national_id


def party(
    her: str,
    kind: PartyKind,
    level: CareLevel,
    parent: str | None = None,
    accepts: dict[str, tuple[str, ...]] | None = None,
) -> CommunicationParty:
    return CommunicationParty(
        her,
        f"party {her}",
        kind,
        level,
        "0301",
        parent,
        accepts=MappingProxyType(ALL if accepts is None else accepts),
    )


def world() -> RegistryView:
    view = RegistryView()
    for p in (
        party("100", PartyKind.HOME_CARE, CareLevel.MUNICIPAL),
        party("101", PartyKind.NURSING_HOME, CareLevel.MUNICIPAL),
        party("200", PartyKind.GP_OFFICE, CareLevel.GP),
        party("201", PartyKind.GP, CareLevel.GP, parent="200", accepts={}),
        party("300", PartyKind.HOSPITAL_DEPARTMENT, CareLevel.SPECIALIST),
        party("400", PartyKind.LAB, CareLevel.SPECIALIST),
        party("500", PartyKind.HEALTH_STATION, CareLevel.MUNICIPAL, accepts={}),
        party("900", PartyKind.NATIONAL_SERVICE, CareLevel.NATIONAL),
        party("901", PartyKind.NATIONAL_SERVICE, CareLevel.NATIONAL),
        party("902", PartyKind.CITIZEN_PORTAL, CareLevel.CITIZEN),
    ):
        view.put_party(p)
    view.put_service(
        NationalService(
            "900", "Pasientens prøvesvar", "provesvar", frozenset({"SVAR_LAB", "SVAR_RTG"})
        )
    )
    view.put_service(
        NationalService("901", "Kjernejournal", "kjernejournal", frozenset({"EPIKRISE"}))
    )
    view.put_service(NationalService("902", "helsenorge", "helsenorge", frozenset()))
    view.put_patient(
        PatientContext(
            "pk1",
            gp_her_id="201",
            municipality_code="0301",
            relationships=(
                Relationship("100", "home_care", "medication_administration"),
                Relationship("101", "nursing_home", "stay"),
            ),
            proxies=("daughter-id",),
        )
    )
    return view


def facts(msg_type: str, sender: str, receiver: str, **kw: object) -> RoutingFacts:
    base = RoutingFacts(
        event_id="e1",
        message_id="m1",
        msg_type=msg_type,
        standard="x",
        standard_version="1.6",
        sender_her_id=sender,
        receiver_her_id=receiver,
        copy_her_ids=(),
        patient_key="pk1",
        national_id="patient-id",
        action="N",
        document_id=None,
        conversation_id=None,
        refers_to_parent=None,
        is_test=False,
        priority=None,
        category=None,
        attributes={},
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def reasons(routing: object) -> dict[str, str]:
    return {  # citizens are told apart by the person the portal delivery is for
        f"citizen:{g.person}" if g.person else g.her_id: g.reason
        for g in routing.grants  # type: ignore[attr-defined]
    }


def test_dialogue_question_reaches_only_the_addressed_gp_office() -> None:
    r = route(facts("DIALOG_FORESPORSEL", "100", "200", standard_version="1.0"), world(), RULES)
    assert reasons(r) == {"200": "ADDRESSED"}
    assert r.grants[0].topic == "delivery.gp"


def test_lab_result_fans_out_to_requester_gp_national_service_and_citizens() -> None:
    r = route(
        facts("SVAR_LAB", "400", "300", standard_version="1.4", category="CLIN"), world(), RULES
    )
    assert reasons(r) == {
        "300": "ADDRESSED",
        "200": "PATIENT_GP",
        "900": "NATIONAL_SERVICE",
        "citizen:patient-id": "CITIZEN",
        "citizen:daughter-id": "CITIZEN_PROXY",
    }
    topics = {g.address: g.topic for g in r.grants}
    assert topics[("900", None)] == "delivery.national.provesvar"
    assert topics[("902", "patient-id")] == "delivery.citizen"


def test_gp_is_not_copied_when_the_gp_office_requested_the_result() -> None:
    r = route(facts("SVAR_LAB", "400", "200", standard_version="1.4"), world(), RULES)
    assert [g.her_id for g in r.grants].count("200") == 1
    assert reasons(r)["200"] == "ADDRESSED"


def test_withheld_result_category_is_refused_to_citizens_with_reason() -> None:
    r = route(
        facts("SVAR_LAB", "400", "300", standard_version="1.4", category="HIST"), world(), RULES
    )
    assert not any(g.person for g in r.grants)
    assert {x.reason for x in r.refusals if x.her_id == "902"} == {"WITHHELD_FROM_CITIZEN"}


def test_test_traffic_never_reaches_national_services_or_citizens() -> None:
    r = route(facts("SVAR_LAB", "400", "300", standard_version="1.4", is_test=True), world(), RULES)
    assert {g.topic for g in r.grants} == {"delivery.test"}
    assert reasons(r) == {"300": "TEST_TRAFFIC"}  # the addressee only
    assert {"900", "902", "200"} <= {x.her_id for x in r.refusals if x.reason == "TEST_TRAFFIC"}


def test_core_journal_info_goes_to_care_relationships_unless_opted_out() -> None:
    view = world()
    r = route(facts("SAMFLYT_KJ_KRITISK_INFO", "901", "901", standard_version="1.0"), view, RULES)
    assert {"100", "101"} <= set(reasons(r))
    view.put_patient(replace(view.patients["pk1"], core_journal_opt_out=True))
    r = route(facts("SAMFLYT_KJ_KRITISK_INFO", "901", "901", standard_version="1.0"), view, RULES)
    assert not {"100", "101"} & r.recipients()
    assert {x.reason for x in r.refusals} == {"CORE_JOURNAL_OPT_OUT"}


def test_medication_change_reaches_administering_service_and_gp_only() -> None:
    r = route(
        facts("SAMFLYT_KJ_LEGEMIDDELENDRING", "901", "901", standard_version="1.0"), world(), RULES
    )
    assert {"100": "CARE_RELATIONSHIP", "200": "PATIENT_GP"}.items() <= reasons(r).items()
    assert "101" not in r.recipients()  # the nursing home does not administer the medicines


def test_admission_creates_a_relationship_and_discharge_ends_it() -> None:
    view, state = world(), PatientState()
    admission = facts("INNLEGGELSESRAPPORT", "100", "300")
    state = next_state(state, admission, RULES, route(admission, view, RULES, state, KEY), KEY)
    assert "300" in {r.her_id for r in state.active_relationships(view.patient("pk1"))}
    discharge = facts("EPIKRISE", "300", "200", standard_version="1.2")
    routed = route(discharge, view, RULES, state, KEY)
    assert {"200", "100", "101", "901"} <= routed.recipients()
    state = next_state(state, discharge, RULES, routed, KEY)
    assert "300" not in {r.her_id for r in state.active_relationships(view.patient("pk1"))}
    assert PatientState.from_data(json.loads(json.dumps(state.to_data()))) == state


def test_change_cancel_and_addendum_reach_exactly_the_original_recipients() -> None:
    view, state = world(), PatientState()
    original = facts("SVAR_LAB", "400", "300", standard_version="1.4", document_id="doc-9")
    routed = route(original, view, RULES, state, KEY)
    state = next_state(state, original, RULES, routed, KEY)
    view.put_patient(replace(view.patients["pk1"], gp_her_id=None))  # registry changed since
    for action in ("M", "C", "A"):
        change = replace(original, message_id=f"m-{action}", action=action)
        again = route(change, view, RULES, state, KEY)
        assert again.recipients() == routed.recipients()
        assert {g.reason for g in again.grants} == {"ORIGINAL_RECIPIENT"}
    # an addendum adds to the document: the document and its recipients stay remembered
    addendum = replace(original, message_id="m-A2", action="A")
    routed_addendum = route(addendum, view, RULES, state, KEY)
    assert next_state(state, addendum, RULES, routed_addendum, KEY) is state


def test_a_patient_remembers_its_newest_documents_only_and_forgets_cancelled_ones() -> None:
    view, state = world(), PatientState()
    first = facts("SVAR_LAB", "400", "300", standard_version="1.4", document_id="doc-0")
    for n in range(MAX_DOCUMENTS + 5):
        event = replace(first, message_id=f"m{n}", document_id=f"doc-{n}")
        state = next_state(state, event, RULES, route(event, view, RULES, state, KEY), KEY)
    remembered = state.document_recipients

    def key(document_id: str) -> str:
        return replace(first, document_id=document_id).document_key

    assert len(remembered) == MAX_DOCUMENTS
    assert key("doc-4") not in remembered and key("doc-5") in remembered  # oldest five forgotten
    newest = f"doc-{MAX_DOCUMENTS + 4}"
    assert {g.her_id for g in remembered[key(newest)]} == route(first, view, RULES).recipients()
    # an old document's change is routed as a new message; a cancel forgets its document
    change = replace(first, message_id="m-old", action="M")
    assert {g.reason for g in route(change, view, RULES, state).grants} != {"ORIGINAL_RECIPIENT"}
    cancel = replace(first, message_id="m-cancel", document_id=newest, action="C")
    after = next_state(state, cancel, RULES, route(cancel, view, RULES, state, KEY), KEY)
    assert key(newest) not in after.document_recipients
    assert len(after.document_recipients) == MAX_DOCUMENTS - 1
    # the same document routed again to the same parties changes nothing
    again = replace(first, message_id="m-again", document_id="doc-5")
    assert next_state(state, again, RULES, route(again, view, RULES, state, KEY), KEY) is state
    restored = PatientState.from_data(json.loads(json.dumps(after.to_data())))
    assert restored == after
    assert restored.document_recipients[key("doc-5")] == remembered[key("doc-5")]


def test_parties_that_cannot_take_the_type_or_are_unknown_are_refused() -> None:
    view = world()
    r = route(
        facts("SVAR_LAB", "400", "300", standard_version="1.4", copy_her_ids=("500", "777")),
        view,
        RULES,
    )
    refused = {x.her_id: x.reason for x in r.refusals}
    assert refused["500"] == "CANNOT_RECEIVE_TYPE"
    assert refused["777"] == "UNKNOWN_RECEIVER"
    assert not {"500", "777"} & r.recipients()


def test_every_grant_has_a_rule_and_a_legitimate_reason() -> None:
    legitimate = {
        "ADDRESSED",
        "COPY_RECEIVER",
        "PATIENT_GP",
        "CARE_RELATIONSHIP",
        "NATIONAL_SERVICE",
        "CITIZEN",
        "CITIZEN_PROXY",
        "ORIGINAL_RECIPIENT",
        "TEST_TRAFFIC",
    }
    for msg_type in ALL:
        r = route(facts(msg_type, "400", "300", standard_version="1.4"), world(), RULES)
        assert all(g.reason in legitimate and g.rule_id for g in r.grants)


def test_invalid_rule_set_names_the_rule() -> None:
    with pytest.raises(ConfigError, match="rule 'x'"):
        parse_rule_set({"version": "1", "rules": [{"id": "x", "types": "*", "to": "everyone"}]})
    with pytest.raises(ConfigError, match="service"):
        parse_rule_set(
            {"version": "1", "rules": [{"id": "n", "types": "*", "to": "national_service"}]}
        )


def test_changed_rule_file_is_picked_up_and_a_broken_one_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text('version: "1"\nrules: [{id: a, types: "*", to: addressed}]\n')
    source = RuleSetSource(path, check_interval=0)
    assert source.current.version == "1"
    path.write_text('version: "2"\nrules: [{id: a, types: "*", to: copy_receivers}]\n')
    assert source.current.version == "2"
    path.write_text("version: [broken\n")
    assert source.current.version == "2"
    path.write_text('version: "3"\nrules:\n  - addressed\n')  # a rule that is no mapping
    assert source.current.version == "2"
    with pytest.raises(ConfigError, match="malformed"):
        load_rule_set(path)


@pytest.mark.parametrize("national_id", [None, ""])
def test_without_a_national_id_no_citizen_is_granted(national_id: str | None) -> None:
    result = facts("SVAR_LAB", "400", "300", standard_version="1.4", category="CLIN")
    r = route(replace(result, national_id=national_id, patient_key=None), world(), RULES)
    assert not {g.reason for g in r.grants} & {"CITIZEN", "CITIZEN_PROXY"}
    assert "300" in r.recipients()


def test_another_senders_document_with_the_same_id_is_another_document() -> None:
    view, state = world(), PatientState()
    original = facts("SVAR_LAB", "400", "100", standard_version="1.4", document_id="10682608")
    state = next_state(state, original, RULES, route(original, view, RULES, state, KEY), KEY)
    # another lab's change of its own document 10682608, addressed to the nursing home
    other = replace(original, message_id="m2", sender_her_id="300", receiver_her_id="101")
    changed = route(replace(other, action="M"), view, RULES, state)
    assert "ORIGINAL_RECIPIENT" not in {g.reason for g in changed.grants}
    assert "101" in changed.recipients() and "100" not in changed.recipients()
    cancel = replace(other, action="C")
    after = next_state(state, cancel, RULES, route(cancel, view, RULES, state, KEY), KEY)
    assert original.document_key in after.document_recipients  # not cancelled by another sender
