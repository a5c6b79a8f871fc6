"""A worker reads a patient's registry entry once and routes with it for days: proxy rights and
care relationships start and end on their own dates all the same, and a tombstone removes."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition

from schemas.codec import default_codec
from schemas.errors import ConfigError
from streams.demo import run_demo
from streams.registries.feed import PARTIES, PATIENTS, RegistryFeed
from streams.registries.records import CareRelationship, ProxyRight
from streams.registries.seed import seed_registry
from streams.registries.wire import context_from_entry, party_to_record, patient_entry
from streams.routing.evaluate import route
from streams.settings import Settings
from streams.synthetic import build_world
from tests.unit.routing.test_route import RULES, facts, world

NID = "13116900216"


def _entry() -> dict[str, object]:
    return patient_entry(
        patient_key="pk1",
        national_id=NID,
        gp=None,
        municipality_code="0301",
        relationships=[
            CareRelationship(NID, "100", "home_care", date(2025, 1, 1), None, "home_nursing"),
            CareRelationship(NID, "101", "nursing_home", date(2026, 4, 1), None, "admission"),
            CareRelationship(NID, "300", "hospital", date(2025, 1, 1), date(2026, 1, 1), "x"),
        ],
        proxies=[ProxyRight(NID, "daughter-id", "child", date(2026, 1, 1), date(2026, 3, 2))],
        opted_out=False,
    )


def test_a_context_read_once_holds_what_is_active_on_each_later_day() -> None:
    context = context_from_entry(_entry(), today=date(2026, 3, 1))
    assert [r.her_id for r in context.relationships] == ["100"]  # 300 had ended: left out
    on_read = context.on(date(2026, 3, 1))
    assert on_read.proxies == ("daughter-id",) and {r.her_id for r in on_read.relationships} == {
        "100"
    }
    month_later = context.on(date(2026, 4, 1))
    assert month_later.proxies == ()  # the proxy right ended on 2 March
    assert {r.her_id for r in month_later.relationships} == {"100", "101"}  # admitted 1 April


def test_a_running_workers_view_routes_by_the_day_and_forgets_on_a_tombstone() -> None:
    settings = Settings()
    clock = {"today": date(2026, 3, 1)}
    feed = RegistryFeed(settings, codec=default_codec(), today=lambda: clock["today"])
    for her_id, party in world().parties.items():
        feed.view.parties[her_id] = party
    patients = TopicPartition(settings.topic(PATIENTS), 0)
    value = default_codec().encode("PatientRegistryEntry", _entry())
    feed._apply({patients: [SimpleNamespace(key=b"pk1", value=value)]})
    result = facts("SVAR_LAB", "400", "200", standard_version="1.4")

    def proxies() -> list[str | None]:
        routed = route(result, feed.view, RULES)
        return [g.person for g in routed.grants if g.reason == "CITIZEN_PROXY"]

    assert proxies() == ["daughter-id"]
    clock["today"] = date(2026, 4, 1)  # a month later, the same worker, nothing re-read
    assert proxies() == []
    feed._apply({patients: [SimpleNamespace(key=b"pk1", value=None)]})
    assert feed.view.patient("pk1") is None


def test_a_record_the_feed_cannot_read_is_skipped_and_the_feed_goes_on() -> None:
    settings = Settings()
    feed = RegistryFeed(settings, codec=default_codec())
    parties = TopicPartition(settings.topic(PARTIES), 0)
    party = next(iter(world().parties.values()))
    good = default_codec().encode("CommunicationParty", party_to_record(party))
    unreadable = SimpleNamespace(key=b"x", value=b"\x00\x00\x00\x99\x99garbage", offset=1)
    feed._apply({parties: [unreadable, SimpleNamespace(key=party.her_id.encode(), value=good)]})
    assert feed.view.party(party.her_id) is not None


def test_the_synthetic_registry_and_the_demo_are_refused_in_production() -> None:
    production = Settings(environment="production", patient_key_secret="s" * 40)
    with pytest.raises(ConfigError, match="production"):
        asyncio.run(seed_registry(production, build_world(seed=1, scale="small")))
    with pytest.raises(ConfigError, match="production"):
        asyncio.run(run_demo(production))
