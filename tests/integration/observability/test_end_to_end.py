"""Observability end to end on the real broker and database: one trace per message, the journey
and ``samflyt trace``, the metrics endpoint, the quality report's totals, and a dead letter that
is fixed, replayed and then delivered once."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.runner import run as run_connector
from connectors.sdk.testing import HttpEndpoint
from connectors.sinks.webhook import Destination, WebhookConfig, WebhookSink
from streams import dlq, harness
from streams.cli import main
from streams.db import create_pool
from streams.principals import sink_principal
from streams.registries.feed import publish_registry
from streams.report import quality_report
from streams.synthetic import TrafficItem, build_world, scenario_traffic
from tests.integration.observability.run import (
    EXPORTER,
    Observed,
    http_get,
    settings_for,
    start,
    wait_journey,
)

UNKNOWN_RECEIVER = "999999"  # the receiver of scenario 13's unknown-receiver dead letter


def _question(items: list[TrafficItem]) -> TrafficItem:
    return next(i for i in items if i.scenario.startswith("1-"))


@pytest.fixture(scope="module")
def o(kafka_bootstrap: str, database_url: str, topic_prefixes: list[str]) -> Observed:
    world = build_world(seed=1, scale="small")
    # a seed of its own: message ids must not collide with other tests' in the session database
    items = list(scenario_traffic(world, seed=4242))
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes)
    port = settings.metrics_port
    asked = {
        i.expected.msg_id.lower()
        for i in items
        if i.expected.expects_answer and not i.expected.dead_letter
    }
    overdue = len(asked - {i.expected.answers.lower() for i in items if i.expected.answers})
    dead = sum(1 for i in items if i.expected.dead_letter)
    valid_ids = sorted(
        {
            i.expected.msg_id.lower()
            for i in items
            if not i.expected.dead_letter and not i.expected.duplicate_of
        }
    )

    async def go() -> Observed:
        EXPORTER.clear()
        pipeline = await start(settings, world)
        pool = await create_pool(settings)
        extra: dict[str, Any] = {"started": datetime.now(UTC) - timedelta(seconds=1)}
        portal, stop_sink = await HttpEndpoint().start(), asyncio.Event()
        sink = asyncio.ensure_future(  # the citizen portal's deliveries, as a sink delivers them
            run_connector(
                _portal_sink(settings, portal.url),
                kafka=settings.kafka(sink_principal("delivery.citizen")),
                database_url=None,
                stop=stop_sink,
            )
        )
        try:
            extra["metrics_before"] = (await http_get(port, "/metrics"))[1]
            offsets = await harness.snapshot(settings)
            inputs = [(i.expected.msg_id, i.expected.msg_type, i.data) for i in items]
            await harness.produce(settings, inputs)
            first = await harness.collect(
                settings, offsets, until=lambda o: len(o.overdue) >= overdue, deadline_s=90
            )
            await wait_journey(pool, valid_ids)
            extra["citizen_deliveries"] = [  # routed events (AppRecs to the portal are not)
                d
                for topic, d, _ in first.deliveries
                if topic == CITIZEN_TOPIC and d["content"][0].endswith("CanonicalEvent")
            ]
            await _wait_delivered_steps(pool, extra["citizen_deliveries"])
            await _wait_dead_letters(pool, settings.topic_prefix, dead)
            extra["report"] = await _report(pool, extra["started"])
            metrics = (await http_get(port, "/metrics"))[1]
            # everything the run wrote up to the metrics snapshot (the pipeline is idle by now)
            outputs = await harness.collect(settings, offsets, until=lambda o: True)
            health, ready = (
                (await http_get(port, "/healthz"))[0],
                (await http_get(port, "/readyz"))[0],
            )
            extra.update(await _fix_and_replay(settings, pipeline, pool, items))
            journey = [dict(r) for r in await pool.fetch("SELECT * FROM message_journey")]
        finally:
            stop_sink.set()
            await sink
            await portal.stop()
            await pool.close()
            await pipeline.app.stop()
        extra["patient_key"] = pipeline.patient_key
        return Observed(
            settings,
            world,
            items,
            outputs,
            list(EXPORTER.get_finished_spans()),
            metrics,
            health,
            ready,
            journey,
            extra,
        )

    return asyncio.run(go())


CITIZEN_TOPIC = "delivery.citizen"


def _portal_sink(settings: Any, url: str) -> WebhookSink:
    return WebhookSink(
        WebhookConfig(
            topics=[settings.topic(CITIZEN_TOPIC)],
            dead_letter_topic=settings.topic("deadletter"),
            confirmation_topic=settings.topic("deliveries.confirmed"),
            # under the sink principal's own name: the broker refuses any other group
            group_id=f"{sink_principal(CITIZEN_TOPIC)}.portal-{settings.app_id}",
            destinations=[Destination(name="helsenorge", url=url)],
        )
    )


async def _wait_delivered_steps(pool: Any, deliveries: list[dict[str, Any]]) -> None:
    """Until the journey has the delivered step of each of ``deliveries`` (the sink's)."""
    ids = sorted({str(d["delivery_id"]) for d in deliveries})
    assert ids, "the scenarios deliver to citizens"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        have = await pool.fetchval(
            "SELECT count(DISTINCT detail->>'delivery_id') FROM message_journey"
            " WHERE step = 'delivered' AND detail->>'delivery_id' = ANY($1::text[])",
            ids,
        )
        if have >= len(ids):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"delivered steps of {have} of the {len(ids)} citizen deliveries")


async def _wait_dead_letters(pool: Any, prefix: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        have = await pool.fetchval(
            "SELECT count(*) FROM dead_letters WHERE origin_topic LIKE $1", prefix + "%"
        )
        if have >= count:
            return
        await asyncio.sleep(0.2)


async def _report(pool: Any, started: datetime) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await quality_report(conn, started, datetime.now(UTC) + timedelta(seconds=1))


async def _fix_and_replay(
    settings: Any, pipeline: Any, pool: Any, items: list[TrafficItem]
) -> dict[str, Any]:
    """Register the unknown receiver (copying the question's addressee), replay its dead letter
    twice, and collect what comes out."""
    row = await pool.fetchrow(
        "SELECT dead_letter_id, journey_id FROM dead_letters WHERE reason = 'UNKNOWN_RECEIVER'"
        " AND origin_topic LIKE $1",
        settings.topic_prefix + "%",
    )
    template = _question(items).expected.recipients[0].her_id
    await pool.execute(
        "INSERT INTO parties (her_id, name, kind, care_level, municipality_code, org_no, hpr,"
        " accepts, active) SELECT $1, name || ' (ny)', kind, care_level, municipality_code,"
        " org_no, hpr, accepts, active FROM parties WHERE her_id = $2 ON CONFLICT DO NOTHING",
        UNKNOWN_RECEIVER,
        template,
    )
    await publish_registry(settings)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pipeline.feed.view.party(UNKNOWN_RECEIVER) is not None:
            break
        await asyncio.sleep(0.1)
    offsets = await harness.snapshot(settings)
    replays = []
    async with pool.acquire() as conn:
        for _ in range(2):  # replayed twice by mistake: still delivered once
            replays += await dlq.replay(
                settings, conn, ids=[str(row["dead_letter_id"])], why="receiver registered"
            )
    message_id = row["journey_id"]
    outputs = await harness.collect(
        settings,
        offsets,
        until=lambda o: message_id in o.delivered_message_ids(),
        deadline_s=60,
        quiet_s=2.0,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        routed = await pool.fetchval(
            "SELECT count(*) FROM message_journey WHERE message_id = $1 AND step = 'routed'",
            message_id,
        )
        if routed:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    return {
        "replay_outputs": outputs,
        "replays": replays,
        "dead_letter_id": str(row["dead_letter_id"]),
        "replayed_message": message_id,
    }


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], o: Observed, *argv: str
) -> tuple[int, str]:
    monkeypatch.setenv("SAMFLYT_DATABASE_URL", o.settings.database_url.get_secret_value())
    monkeypatch.setenv("SAMFLYT_KAFKA_BOOTSTRAP", o.settings.kafka_bootstrap)
    monkeypatch.setenv("SAMFLYT_TOPIC_PREFIX", o.settings.topic_prefix)
    monkeypatch.setenv("SAMFLYT_ACTOR", "sre-on-call")
    capsys.readouterr()
    code = main(list(argv))
    return code, capsys.readouterr().out


def _trace_id(o: Observed, message_id: str) -> str:
    ids = {
        r["trace_id"]
        for r in o.journey
        if r["message_id"] == message_id and r["step"] in ("received", "validated", "routed")
    }
    assert len(ids) == 1 and None not in ids, ids
    return str(ids.pop())


def test_one_message_is_one_trace_through_validate_route_and_delivery(o: Observed) -> None:
    q = _question(o.items).expected.msg_id.lower()
    trace_id = _trace_id(o, q)
    spans = [s for s in o.spans if s.context and f"{s.context.trace_id:032x}" == trace_id]
    names = Counter(s.name for s in spans)
    assert names["samflyt.validate"] == 1 and names["samflyt.route"] == 1
    by_id = {s.context.span_id: s for s in spans if s.context}
    route = next(s for s in spans if s.name == "samflyt.route")
    ancestors = []
    parent = route.parent
    while parent is not None and parent.span_id in by_id:
        ancestors.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    assert "samflyt.validate" in ancestors  # route is a child hop of validate, not a sibling
    sends = {
        str(s.attributes.get("messaging.destination.name", "")).removeprefix(
            o.settings.topic_prefix
        )
        for s in spans
        if s.name.endswith(" send") and s.attributes
    }
    assert {"canonical.events", "receipts", "decisions"} <= sends
    assert any(t.startswith("delivery.") for t in sends)
    validate = next(s for s in spans if s.name == "samflyt.validate")
    assert validate.attributes is not None
    assert validate.attributes["samflyt.message.type"] == "DIALOG_HELSEFAGLIG"
    process = [s for s in spans if s.name.endswith(" process")]
    assert process and all(
        s.attributes
        and {
            "messaging.destination.name",
            "messaging.kafka.message.offset",
            "messaging.destination.partition.id",
        }
        <= set(s.attributes)
        for s in process
    )


def test_spans_carry_no_national_id_name_patient_key_or_payload(o: Observed) -> None:
    assert o.spans
    secrets = set()
    for patient in o.world.patients:
        secrets |= {
            patient.national_id,
            patient.family_name,
            o.extra["patient_key"](patient.national_id),
        }
    for span in o.spans:
        for key, value in (span.attributes or {}).items():
            assert not key.endswith(".key"), (span.name, key)
            text = str(value)
            assert len(text) < 512, (span.name, key)  # no payloads
            assert not any(s in text for s in secrets), (span.name, key)


def test_trace_command_shows_path_recipients_reasons_receipt_and_trace_id(
    o: Observed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    item = _question(o.items)
    code, out = _cli(monkeypatch, capsys, o, "trace", item.expected.msg_id, "--json")
    assert code == 0
    journey = json.loads(out)
    steps = [s["step"] for s in journey["steps"]]
    assert [s for s in steps if s in ("received", "validated")] == ["received", "validated"]
    routed = {s["recipient_her_id"]: s["reason"] for s in journey["steps"] if s["step"] == "routed"}
    assert set(routed) == {r.her_id for r in item.expected.recipients}
    assert all(routed.values())
    assert journey["receipt_status"] == "OK"
    assert _trace_id(o, item.expected.msg_id.lower()) in journey["trace_ids"]
    assert all(
        s["since_previous_ms"] is None or s["since_previous_ms"] >= 0 for s in journey["steps"]
    )
    code, text = _cli(monkeypatch, capsys, o, "trace", item.expected.msg_id)
    assert code == 0 and "routed" in text and journey["trace_ids"][0] in text


def test_trace_shows_a_routed_step_per_citizen_through_the_portal_by_pseudonym(
    o: Observed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    item = next(  # the patient and at least one proxy through the portal
        i for i in o.items if sum(r.person is not None for r in i.expected.recipients) >= 2
    )
    citizens = {r.person for r in item.expected.recipients if r.person is not None}
    code, out = _cli(monkeypatch, capsys, o, "trace", item.expected.msg_id, "--json")
    assert code == 0
    steps = json.loads(out)["steps"]
    keys = {s["recipient_key"] for s in steps if s["step"] == "routed" and s["recipient_key"]}
    assert keys == {o.extra["patient_key"](person) for person in citizens}
    assert not any(person in out for person in citizens)  # pseudonyms, never national ids
    code, text = _cli(monkeypatch, capsys, o, "trace", item.expected.msg_id)
    assert code == 0
    assert all(f"citizen {key[:12]}" in text for key in keys)


def test_each_citizen_delivery_a_sink_made_is_a_delivered_step_of_its_journey(
    o: Observed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    delivered = {
        r["detail"]["delivery_id"]: r
        for r in (
            {**row, "detail": json.loads(row["detail"])} if isinstance(row["detail"], str) else row
            for row in o.journey
        )
        if r["step"] == "delivered"
    }
    for d in o.extra["citizen_deliveries"]:
        row = delivered[str(d["delivery_id"])]
        content = d["content"][1]
        assert row["message_id"] == content["message_id"]
        assert row["recipient_her_id"] == d["recipient_her_id"]
        assert row["recipient_key"] == o.extra["patient_key"](d["recipient_person"])
        assert row["detail"]["connector"] == "national-webhook"
        assert row["detail"]["lane"] == "helsenorge"
        assert row["trace_id"] == _trace_id(o, content["message_id"])
    message_id = o.extra["citizen_deliveries"][0]["content"][1]["message_id"]
    code, text = _cli(monkeypatch, capsys, o, "trace", message_id)
    assert code == 0 and "delivered" in text and "by national-webhook (helsenorge)" in text


def _samples(text: str, name: str) -> Counter[tuple[tuple[str, str], ...]]:
    out: Counter[tuple[tuple[str, str], ...]] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] += sample.value
    return out


def _delta(o: Observed, name: str) -> Counter[tuple[tuple[str, str], ...]]:
    after, before = _samples(o.metrics, name), _samples(o.extra["metrics_before"], name)
    return Counter({k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)})


def test_metrics_endpoint_reports_the_counts_of_the_run(o: Observed) -> None:
    assert o.health == 200 and o.ready == 200
    validated = _delta(o, "samflyt_messages_in_total")
    assert sum(v for k, v in validated.items() if ("stage", "validate") in k) == len(o.items)
    dead = _delta(o, "samflyt_dead_letters_total")
    expected_dead = Counter(d["reason"] for d in o.outputs.dead_letters)
    assert {dict(k)["reason"]: v for k, v in dead.items()} == expected_dead
    receipts = _delta(o, "samflyt_receipts_total")
    expected_receipts = Counter(r["info"]["status"] for r in o.outputs.receipts)
    assert {dict(k)["status"]: v for k, v in receipts.items()} == expected_receipts
    out = _delta(o, "samflyt_messages_out_total")
    deliveries = sum(v for k, v in out.items() if dict(k)["topic"].startswith("delivery."))
    assert deliveries == len(o.outputs.deliveries)
    assert _samples(o.metrics, "samflyt_stage_seconds_count")
    lag = _samples(o.metrics, "samflyt_consumer_lag")
    assert any(dict(k)["topic"] == "raw.epj" for k in lag)


def test_quality_report_totals_match_the_oracle(o: Observed) -> None:
    rows = o.extra["report"]
    distinct = {i.expected.msg_id for i in o.items}
    assert sum(r["volume"] for r in rows) == len(distinct)
    assert sum(r["rejected"] for r in rows) == sum(1 for i in o.items if i.expected.dead_letter)
    answered = {i.expected.answers.lower() for i in o.items if i.expected.answers}
    unanswered = {r["request_message_id"] for r in o.outputs.overdue} - answered
    assert {i.expected.msg_id.lower() for i in o.items if i.expected.overdue} <= unanswered
    assert sum(r["unanswered"] for r in rows) == len(unanswered)
    assert all(r["municipality"] != "unknown" for r in rows if r["msg_type"] != "UNKNOWN"), [
        (r["municipality"], r["msg_type"]) for r in rows if r["municipality"] == "unknown"
    ]


def test_fixed_dead_letter_replayed_twice_is_delivered_once(o: Observed) -> None:
    message_id = o.extra["replayed_message"]
    outputs = o.extra["replay_outputs"]
    delivered = [d for _, d, _ in outputs.deliveries if harness.content_message_id(d) == message_id]
    assert [d["recipient_her_id"] for d in delivered] == [UNKNOWN_RECEIVER]
    assert [r.attempt for r in o.extra["replays"]] == [2, 3]
    steps = {(r["attempt"], r["step"]) for r in o.journey if r["message_id"] == message_id}
    assert {(1, "received"), (1, "deadlettered"), (1, "receipt")} <= steps
    assert {(2, "replayed"), (2, "validated"), (2, "routed"), (2, "receipt")} <= steps, steps
    assert (3, "replayed") in steps and (3, "routed") not in steps
    receipts = {
        r["attempt"]: r["reason"]
        for r in o.journey
        if r["message_id"] == message_id and r["step"] == "receipt"
    }
    assert receipts == {1: "REJECTED", 2: "OK"}


def test_dlq_list_show_are_audited_and_the_audit_chain_verifies(
    o: Observed, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dl = o.extra["dead_letter_id"]
    code, out = _cli(monkeypatch, capsys, o, "dlq", "list", "--reason", "UNKNOWN_RECEIVER")
    assert code == 0 and dl in out
    code, out = _cli(monkeypatch, capsys, o, "dlq", "show", dl, "--why", "incident 42")
    assert code == 0 and json.loads(out)["original"].lstrip().startswith("<")
    code, out = _cli(monkeypatch, capsys, o, "audit", "verify")
    assert code == 0, out

    async def entries() -> list[tuple[str, str, str]]:
        pool = await create_pool(o.settings)
        try:
            rows = await pool.fetch(
                "SELECT actor, action, reason FROM audit_log WHERE target = $1 ORDER BY seq", dl
            )
        finally:
            await pool.close()
        return [(r["actor"], r["action"], r["reason"]) for r in rows]

    actions = asyncio.run(entries())
    assert [a for _, a, _ in actions] == ["dlq.replay", "dlq.replay", "dlq.show"]
    assert actions[-1] == ("sre-on-call", "dlq.show", "incident 42")
