"""Every scenario of the seeds, end to end through the real broker, against the oracle.

The oracle (``streams.synthetic.expected``) is derived from the synthetic registries and the
rules of the issue, independently of the routing code: who must receive each message and why,
which inputs must be dead-lettered with which AppRec code, which requests go overdue.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest

from streams.harness import Outputs, content_message_id
from streams.synthetic import TrafficItem, build_world, scenario_traffic
from streams.synthetic.expected import BROADCAST_TYPES
from tests.integration.pipeline.run import prepare, run_pipeline, settings_for

LEVEL = {
    "municipal": "delivery.municipal",
    "gp": "delivery.gp",
    "specialist": "delivery.specialist",
    "citizen": "delivery.citizen",
    "test": "delivery.test",
}


@dataclass
class Run:
    items: list[TrafficItem]
    outputs: Outputs
    counts: dict[str, int]

    def deliveries_of(self, msg_id: str) -> list[tuple[str, dict[str, Any]]]:
        key = msg_id.strip().lower()
        return [(t, d) for t, d, _ in self.outputs.deliveries if content_message_id(d) == key]

    def scenario(self, name: str) -> list[TrafficItem]:
        found = [i for i in self.items if i.scenario.startswith(name)]
        assert found, name
        return found


@pytest.fixture(scope="module")
def run(kafka_bootstrap: str, database_url: str, topic_prefixes: list[str]) -> Run:
    world = build_world(seed=1, scale="small")
    items = list(scenario_traffic(world, seed=11))
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes)
    unanswered = sum(1 for i in items if i.expected.overdue)

    async def go() -> tuple[Outputs, dict[str, int]]:
        await prepare(settings, world)
        return await run_pipeline(settings, items, until=lambda o: len(o.overdue) >= unanswered)

    outputs, counts = asyncio.run(go())
    return Run(items, outputs, counts)


def _recipients(run: Run, item: TrafficItem) -> Counter[tuple[str, str | None]]:
    return Counter(
        (d["recipient_her_id"], d["recipient_person"])
        for _, d in run.deliveries_of(item.expected.msg_id)
    )


def _expected(item: TrafficItem) -> Counter[tuple[str, str | None]]:
    return Counter((r.her_id, r.person) for r in item.expected.recipients)


@pytest.mark.parametrize(
    "scenario",
    [
        "1-",
        "2-",
        "3-",
        "4-",
        "5-",
        "6-",
        "7-",
        "8-",
        "9-",
        "10-",
        "11-",
        "12-",
        "14-",
        "15-",
        "16-",
    ],
)
def test_each_message_reaches_exactly_the_parties_the_oracle_names(run: Run, scenario: str) -> None:
    for item in run.scenario(scenario):
        if item.expected.dead_letter or item.expected.duplicate_of:
            continue
        assert _recipients(run, item) == _expected(item), (item.scenario, item.expected.msg_type)
        for topic, delivery in run.deliveries_of(item.expected.msg_id):
            expected = next(
                r for r in item.expected.recipients if r.her_id == delivery["recipient_her_id"]
            )
            assert topic == LEVEL.get(expected.level, topic)
            assert topic.startswith("delivery.national.") or expected.level != "national"


def test_every_delivery_has_a_granting_decision_with_its_reason(run: Run) -> None:
    granted = {
        (d["message_id"], d["party_her_id"])
        for d in run.outputs.decisions
        if d["outcome"] == "GRANTED"
    }
    for _, delivery, _ in run.outputs.deliveries:
        name, content = delivery["content"]
        if name.endswith("CanonicalEvent"):
            assert (content["message_id"], delivery["recipient_her_id"]) in granted
            assert delivery["reason"] != "OTHER"


def test_admission_gives_the_hospital_a_care_relationship_used_by_later_messages(run: Run) -> None:
    admission = run.scenario("2-admission")[0]
    hospital = admission.expected.care_relationship_started
    assert hospital is not None
    assert any(
        d["recipient_her_id"] == hospital for _, d in run.deliveries_of(admission.expected.msg_id)
    )


def test_unanswered_ready_for_discharge_raises_overdue_and_answered_requests_do_not(
    run: Run,
) -> None:
    overdue = {o["request_message_id"] for o in run.outputs.overdue}
    for item in run.items:
        if item.expected.overdue:
            assert item.expected.msg_id.lower() in overdue, item.scenario
    answered = {i.expected.answers.lower() for i in run.items if i.expected.answers}
    assert not overdue & answered
    to_sender = [d for _, d, _ in run.outputs.deliveries if d["content"][0].endswith("Overdue")]
    assert {d["content"][1]["request_message_id"] for d in to_sender} == overdue


def test_bad_inputs_are_dead_lettered_with_reason_and_a_negative_apprec(run: Run) -> None:
    dead = [i for i in run.items if i.expected.dead_letter]
    assert len(dead) >= 4
    by_id = {d["message_id"]: d for d in run.outputs.dead_letters if d["message_id"]}
    rejected = defaultdict(list)
    for r in run.outputs.receipts:
        if r["info"]["status"] == "REJECTED":
            rejected[r["info"]["original"]["message_id"]].append(r)
    for item in dead:
        assert not run.deliveries_of(item.expected.msg_id), item.expected.dead_letter
        code = item.expected.apprec_error
        if code == "T01":  # not XML: no sender can be read, so nobody can be told
            assert any(d["reason_code"] == "T01" for d in run.outputs.dead_letters)
            continue
        msg_id = item.expected.msg_id.strip().lower()
        assert by_id[msg_id]["reason_code"] == code
        assert by_id[msg_id]["original"] == item.data  # nothing lost
        assert [e["code"] for e in rejected[msg_id][0]["info"]["errors"]] == [code]


def test_a_duplicate_gets_no_second_delivery_and_no_second_apprec(run: Run) -> None:
    duplicate = next(i for i in run.items if i.expected.duplicate_of)
    original = duplicate.expected.duplicate_of.strip().lower()
    deliveries = Counter(
        (d["recipient_her_id"], d["recipient_person"]) for _, d in run.deliveries_of(original)
    )
    assert deliveries and max(deliveries.values()) == 1
    receipts = [r for r in run.outputs.receipts if r["info"]["original"]["message_id"] == original]
    assert len(receipts) == 1


def test_every_accepted_message_gets_one_positive_apprec_per_recognised_receiver(run: Run) -> None:
    ok = Counter(
        r["info"]["original"]["message_id"]
        for r in run.outputs.receipts
        if r["info"]["status"] == "OK"
    )
    for item in run.items:
        e = item.expected
        if e.dead_letter or e.duplicate_of or e.apprec != "OK":
            continue
        if e.msg_type in BROADCAST_TYPES:
            # a core-journal event names Kjernejournal as sender and receiver: nobody to answer
            continue
        assert ok[e.msg_id.strip().lower()] >= 1, item.scenario
    delivered_back = [
        d for _, d, _ in run.outputs.deliveries if d["content"][0].endswith("Receipt")
    ]
    assert len(delivered_back) == len(run.outputs.receipts)


def test_test_traffic_stays_on_the_test_topic(run: Run) -> None:
    for item in run.scenario("15-"):
        topics = {t for t, _ in run.deliveries_of(item.expected.msg_id)}
        assert topics == {"delivery.test"}


def test_nothing_is_delivered_twice(run: Run) -> None:
    ids = Counter(d["delivery_id"] for _, d, _ in run.outputs.deliveries)
    assert max(ids.values()) == 1
