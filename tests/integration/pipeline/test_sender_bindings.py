"""A raw topic carries only the senders bound to the connector instance that writes it: a
record whose sender is not bound there is dead-lettered, not routed, and its claimed sender
gets no AppRec (it may be forged); bound senders flow, on their own instance's topic too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from schemas.xml import parse_message
from streams import harness
from streams.pipeline import build_pipeline
from streams.synthetic import TrafficItem, build_world, traffic
from tests.integration.pipeline.run import prepare, settings_for

pytestmark = pytest.mark.integration


def _sender(item: TrafficItem) -> str:
    """The HER-id the pipeline checks: the envelope's most specific sender HER-id."""
    return str(parse_message(item.data).sender.her_id)


def _answered_dialogues(items: list[TrafficItem], n: int) -> list[TrafficItem]:
    """``n`` positively answered dialogue messages from ``n`` different senders."""
    found: dict[str, TrafficItem] = {}
    for item in items:
        e = item.expected
        if e.msg_type == "DIALOG_HELSEFAGLIG" and e.apprec == "OK" and not e.dead_letter:
            found.setdefault(_sender(item), item)
    assert len(found) >= n, "the traffic has too few answered dialogue senders"
    return list(found.values())[:n]


def _refused_count(topic: str) -> float:
    return REGISTRY.get_sample_value("samflyt_sender_not_permitted_total", {"topic": topic}) or 0.0


def test_a_sender_not_bound_to_its_raw_topic_is_dead_lettered_without_an_apprec(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str], tmp_path: Path
) -> None:
    world = build_world(seed=1, scale="small")
    on_epj, on_oslo, forged, stray = _answered_dialogues(list(traffic(world, 913, 60)), 4)
    epj, oslo = _sender(on_epj), _sender(on_oslo)
    bindings = tmp_path / "bindings.yaml"
    bindings.write_text(
        "connectors:\n"
        f"  - {{instance: epj, source: epj, senders: ['{epj}']}}\n"
        f"  - {{instance: epj-oslo, source: epj, senders: ['{oslo}']}}\n",
        encoding="utf-8",
    )
    settings = settings_for(
        kafka_bootstrap, database_url, topic_prefixes, connector_bindings=bindings
    )
    # forged: another registered party's message on raw.epj; stray: one on a raw topic no
    # connector is bound to
    records = [
        ("raw.epj", on_epj),
        ("raw.epj.epj-oslo", on_oslo),
        ("raw.epj", forged),
        ("raw.labresults", stray),
    ]
    ids = {
        name: item.expected.msg_id.strip().lower()
        for name, item in (("epj", on_epj), ("oslo", on_oslo), ("forged", forged), ("stray", stray))
    }
    before = {t: _refused_count(t) for t in ("raw.epj", "raw.labresults")}

    async def go() -> harness.Outputs:
        await prepare(settings, world)  # creates raw.epj.epj-oslo from the bindings
        pipeline = build_pipeline(settings, web_port=0)
        start = await harness.snapshot(settings)
        await pipeline.app.start()
        producer = harness.producer_for(settings)
        await producer.start()
        try:
            for topic, item in records:
                await producer.send_and_wait(
                    settings.topic(topic), item.data, key=_sender(item).encode()
                )
            return await harness.collect(
                settings,
                start,
                until=lambda o: (
                    {ids["epj"], ids["oslo"]} <= o.delivered_message_ids()
                    and len(_refusals(o)) == 2
                ),
                deadline_s=90,
                quiet_s=2.0,
            )
        finally:
            await producer.stop()
            await pipeline.app.stop()

    out = asyncio.run(go())

    # the bound senders flowed, each on its own instance's topic, and were answered
    delivered = out.delivered_message_ids()
    assert {ids["epj"], ids["oslo"]} <= delivered
    assert f"apprec:{ids['epj']}" in delivered and f"apprec:{ids['oslo']}" in delivered
    # the forged and the stray one were dead-lettered with the security reason ...
    refusals = _refusals(out)
    assert {d["message_id"]: d["origin"]["topic"] for d in refusals} == {
        ids["forged"]: settings.topic("raw.epj"),
        ids["stray"]: settings.topic("raw.labresults"),
    }
    [forged_letter] = [d for d in refusals if d["message_id"] == ids["forged"]]
    claimed = _sender(forged)
    assert forged_letter["sender_her_id"] == claimed
    assert claimed in forged_letter["detail"] and "raw.epj" in forged_letter["detail"]
    # ... not routed, and no AppRec made or sent for them, to the claimed sender or anyone
    for refused in (ids["forged"], ids["stray"]):
        assert refused not in delivered and f"apprec:{refused}" not in delivered
        assert not [r for r in out.receipts if r["info"]["original"]["message_id"] == refused]
        assert not [d for d in out.decisions if d["message_id"] == refused]
    assert not [d for d in out.dead_letters if d["reason"] != "SENDER_NOT_PERMITTED"]
    # counted per raw topic, for an alert
    assert _refused_count("raw.epj") - before["raw.epj"] == 1
    assert _refused_count("raw.labresults") - before["raw.labresults"] == 1


def _refusals(out: harness.Outputs) -> list[dict[str, object]]:
    return [d for d in out.dead_letters if d["reason"] == "SENDER_NOT_PERMITTED"]
