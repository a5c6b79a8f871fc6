"""A patient who leaves every registry table leaves the registry topic too: the publisher
writes a tombstone for the key, and a worker's view no longer has the patient."""

from __future__ import annotations

import asyncio

import pytest

from streams.db import connect
from streams.registries.feed import (
    PATIENTS,
    RegistryFeed,
    patient_key_fn,
    publish_registry,
    published_keys,
)
from streams.synthetic import build_world
from tests.integration.pipeline.run import prepare, settings_for

pytestmark = pytest.mark.integration
TABLES = ("gp_assignments", "care_relationships", "residences", "proxy_rights",
          "core_journal_opt_outs")  # fmt: skip


def test_a_patient_gone_from_the_tables_is_tombstoned_and_leaves_the_view(
    kafka_bootstrap: str, database_url: str, topic_prefixes: list[str]
) -> None:
    world = build_world(seed=1, scale="small")
    settings = settings_for(kafka_bootstrap, database_url, topic_prefixes)
    national_id = world.patients[0].national_id
    key = patient_key_fn(settings)(national_id)

    async def go() -> tuple[bool, bool, bool, bool]:
        await prepare(settings, world)  # seeds the tables and publishes them
        before = key.encode() in (await published_keys(settings))[settings.topic(PATIENTS)]
        conn = await connect(settings)
        try:
            for table in TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE national_id = $1", national_id)
        finally:
            await conn.close()
        _, patients = await publish_registry(settings)
        after = key.encode() in (await published_keys(settings))[settings.topic(PATIENTS)]
        feed = RegistryFeed(settings)
        await feed.start()
        try:
            in_view = feed.view.patient(key) is not None
        finally:
            await feed.stop()
        return before, after, in_view, patients == len(world.patients) - 1

    before, after, in_view, one_fewer = asyncio.run(go())
    assert before and one_fewer
    assert not after and not in_view
