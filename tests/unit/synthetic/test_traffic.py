"""The oracle: expected recipients follow the world's registries and the scenario rules."""

from __future__ import annotations

import pytest

from streams.synthetic import Reason, SyntheticWorld, build_world, scenario_traffic, traffic
from streams.synthetic.expected import WITHHELD_FROM_CITIZEN


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return build_world(4, "small")


@pytest.fixture(scope="module")
def items(world: SyntheticWorld) -> list:  # type: ignore[type-arg]
    return list(scenario_traffic(world, 1))


def test_every_scenario_present(items: list) -> None:  # type: ignore[type-arg]
    prefixes = {i.scenario.split("-")[0] for i in items}
    assert prefixes == {str(n) for n in range(1, 17)}


def test_recipients_are_known_parties(world: SyntheticWorld) -> None:
    for item in traffic(world, 3, 400):
        for r in item.expected.recipients:
            assert world.has_party(r.her_id)


def test_lab_result_rules(world: SyntheticWorld, items: list) -> None:  # type: ignore[type-arg]
    labs = [i.expected for i in items if i.scenario == "5-lab-result"]
    shown, withheld = labs
    reasons = {r.reason for r in shown.recipients}
    assert {Reason.ADDRESSED, Reason.NATIONAL_SERVICE, Reason.CITIZEN} <= reasons
    assert not any(r.reason is Reason.CITIZEN for r in withheld.recipients)
    assert withheld.refusals and "HIST" in WITHHELD_FROM_CITIZEN


def test_opted_out_patient_gets_no_core_journal_events(items: list) -> None:  # type: ignore[type-arg]
    opted = next(i for i in items if i.scenario == "7-core-journal-opted-out")
    assert opted.expected.recipients == ()
    normal = next(i for i in items if i.scenario == "7-core-journal-critical")
    assert normal.expected.recipients
    assert all(r.reason is Reason.CARE_RELATIONSHIP for r in normal.expected.recipients)


def test_discharge_reaches_gp_home_care_and_core_journal(items: list) -> None:  # type: ignore[type-arg]
    epikrise = next(i.expected for i in items if i.expected.msg_type == "EPIKRISE")
    levels = {r.level for r in epikrise.recipients}
    assert {"gp", "municipal", "national"} <= levels
    assert epikrise.care_relationship_ended is not None


def test_dead_letters_duplicates_and_test_traffic(items: list) -> None:  # type: ignore[type-arg]
    dead = {i.expected.dead_letter: i.expected for i in items if i.expected.dead_letter}
    assert set(dead) == {
        "malformed_xml",
        "invalid_message_id",
        "invalid_patient_id",
        "unknown_receiver",
        "unsupported_message",
    }
    assert all(
        e.apprec == "REJECTED" and e.apprec_error and not e.recipients for e in dead.values()
    )
    dup = next(i for i in items if i.expected.duplicate_of)
    original = next(
        i
        for i in items
        if i.expected.msg_id == dup.expected.duplicate_of and not i.expected.duplicate_of
    )
    assert dup.data == original.data and dup.expected.apprec is None
    for i in items:
        if i.expected.test:
            assert {r.level for r in i.expected.recipients} == {"test"}


def test_question_answer_and_overdue(items: list) -> None:  # type: ignore[type-arg]
    q, a = (i.expected for i in items if i.scenario == "1-question-answer")
    assert q.expects_answer and a.answers == q.msg_id
    ready = next(i.expected for i in items if i.scenario == "3-ready-for-discharge")
    assert ready.expects_answer and ready.overdue


def test_alarm_high_priority(items: list) -> None:  # type: ignore[type-arg]
    alarm = next(i.expected for i in items if i.expected.msg_type == "SAMFLYT_ALARM")
    assert alarm.priority == "high" and len(alarm.recipients) == 1


def test_the_demo_dates_its_traffic_as_written_just_before_it_is_sent() -> None:
    """The quality report measures time to receipt from each message's GenDate: traffic dated
    on the synthetic world's day made the demo's medians years long."""
    import re
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from streams.demo import demo_traffic
    from streams.synthetic import build_world

    now = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    local = now.astimezone(ZoneInfo("Europe/Oslo")).replace(tzinfo=None)  # 02:30 in Norway
    dates = [
        datetime.fromisoformat(m[1].decode())
        for item in demo_traffic(build_world(1, "small"), 7, now)
        if (m := re.search(rb"<GenDate>([^<]+)</GenDate>", item.data)) is not None
    ]
    assert max(dates) == local
    assert min(dates) > local - timedelta(hours=2)
