"""An AppRec whose sender is not in the address register: kept, dead-lettered with a reason, and
delivered once after the sender is registered and the dead letter replayed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from streams import dlq, harness
from streams.db import create_pool
from streams.pipeline import build_pipeline
from streams.registries.feed import publish_registry
from streams.synthetic import TrafficItem, build_world, traffic
from tests.integration.pipeline.run import prepare, settings_for

pytestmark = pytest.mark.integration
UNREGISTERED = "999997"  # a HER-id no synthetic world has


def _from_unregistered_sender(items: list[TrafficItem]) -> tuple[TrafficItem, bytes]:
    """A dialogue message that gets a positive AppRec, rewritten to come from ``UNREGISTERED``."""
    item = next(
        i
        for i in items
        if i.expected.msg_type == "DIALOG_HELSEFAGLIG"
        and i.expected.apprec == "OK"
        and not i.expected.dead_letter
    )
    sender = item.expected.sender_her_id.encode()
    assert item.data.count(b">" + sender + b"<") >= 1
    return item, item.data.replace(b">" + sender + b"<", b">" + UNREGISTERED.encode() + b"<")


def _apprecs_back(out: harness.Outputs, message_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (topic, d)
        for topic, d, _ in out.deliveries
        if harness.content_message_id(d) == f"apprec:{message_id}"
    ]


def test_an_apprec_to_an_unregistered_sender_is_dead_lettered_then_delivered_after_replay(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    world = build_world(seed=1, scale="small")
    item, data = _from_unregistered_sender(list(traffic(world, seed=913, count=40)))
    message_id = item.expected.msg_id.strip().lower()
    # the connector may speak for a sender the address register does not know yet
    bindings = tmp_path / "bindings.yaml"
    bindings.write_text(
        f"connectors: [{{instance: epj, source: epj, senders: ['{UNREGISTERED}']}}]\n",
        encoding="utf-8",
    )
    settings = settings_for(
        kafka_bootstrap, database_url, topic_prefixes, connector_bindings=bindings
    )

    async def go() -> tuple[harness.Outputs, harness.Outputs, list[dlq.Replayed]]:
        await prepare(settings, world)
        pipeline = build_pipeline(settings, web_port=0)
        start = await harness.snapshot(settings)
        await pipeline.app.start()
        pool = await create_pool(settings)
        try:
            await harness.produce(
                settings, [(item.expected.msg_id, item.expected.msg_type, data, UNREGISTERED)]
            )
            before = await harness.collect(
                settings,
                start,
                until=lambda o: any(d["stage"] == "RECEIPT" for d in o.dead_letters),
                deadline_s=60,
            )
            dead_letter_id = await _stored_dead_letter(pool, settings.topic_prefix)
            await pool.execute(
                "INSERT INTO parties (her_id, name, kind, care_level, municipality_code, org_no,"
                " hpr, accepts, active) SELECT $1, name || ' (ny)', kind, care_level,"
                " municipality_code, org_no, hpr, accepts, active FROM parties WHERE her_id = $2",
                UNREGISTERED,
                item.expected.sender_her_id,
            )
            await publish_registry(settings)
            deadline = time.monotonic() + 30
            while pipeline.feed.view.party(UNREGISTERED) is None:
                assert time.monotonic() < deadline, "the registered sender never reached the view"
                await asyncio.sleep(0.1)
            offsets = await harness.snapshot(settings)
            async with pool.acquire() as conn:
                replays = await dlq.replay(
                    settings, conn, ids=[dead_letter_id], why="sender registered"
                )
            after = await harness.collect(
                settings,
                offsets,
                until=lambda o: bool(_apprecs_back(o, message_id)),
                deadline_s=60,
                quiet_s=2.0,
            )
        finally:
            await pool.close()
            await pipeline.app.stop()
        return before, after, replays

    before, after, replays = asyncio.run(go())

    # the message itself flowed, and its AppRec was made and kept
    assert message_id in before.delivered_message_ids()
    [receipt] = [r for r in before.receipts if r["info"]["original"]["message_id"] == message_id]
    assert receipt["info"]["status"] == "OK" and receipt["receiver"]["her_id"] == UNREGISTERED
    # ... but could not be delivered: dead-lettered with its reason, replayable
    assert not _apprecs_back(before, message_id)
    [dead] = [d for d in before.dead_letters if d["stage"] == "RECEIPT"]
    assert (dead["reason"], dead["reason_code"]) == ("UNKNOWN_RECEIVER", "E21")
    assert dead["sender_her_id"] == UNREGISTERED
    assert dead["origin"]["topic"] == settings.topic("receipts.undelivered")
    # after the sender is registered, the replay delivers it once, to the sender
    assert [r.attempt for r in replays] == [2]
    [(topic, delivery)] = _apprecs_back(after, message_id)
    assert delivery["recipient_her_id"] == UNREGISTERED
    assert topic.startswith("delivery.")
    assert not [d for d in after.dead_letters if d["stage"] == "RECEIPT"]


async def _stored_dead_letter(pool: Any, prefix: str, deadline_s: float = 30.0) -> str:
    """The dead letter's id once the journey has stored it (replay reads the store)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = await pool.fetchval(
            "SELECT dead_letter_id FROM dead_letters WHERE stage = 'RECEIPT'"
            " AND origin_topic = $1",
            prefix + "receipts.undelivered",
        )
        if found is not None:
            return str(found)
        await asyncio.sleep(0.2)
    raise AssertionError("the dead letter never reached the dead-letter store")
