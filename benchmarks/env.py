"""An isolated benchmark environment on the real services: its own database (migrated, seeded
with the synthetic world, dropped afterwards) and, per measured run, a fresh topic prefix and
app id whose topics are deleted at the end, so runs never see each other's state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError

from streams.acls import apply_acls
from streams.admin import ensure_topics
from streams.db import migrate_database, with_database
from streams.principals import ADMIN, OPERATOR, acl_plan
from streams.registries.feed import publish_registry
from streams.registries.seed import seed_registry
from streams.settings import Settings
from streams.synthetic import SyntheticWorld

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def bench_database(base: Settings, world: SyntheticWorld) -> AsyncIterator[Settings]:
    """A fresh database holding ``world`` as its registry; yields settings pointing at it. The
    owner role creates and migrates it (it needs CREATEDB, as the local one has); the run uses
    the runtime role, as production does."""
    owner_url = base.database_owner_url.get_secret_value()
    admin_url = with_database(owner_url, "postgres")
    name = f"samflyt_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    settings = derive(
        base,
        database_url=with_database(base.database_url.get_secret_value(), name),
        database_owner_url=with_database(owner_url, name),
    )
    try:
        await migrate_database(settings)
        await seed_registry(settings, world)
        yield settings
    finally:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@dataclass(frozen=True)
class RunScope:
    """One measured run: settings with its own topic prefix and app id."""

    settings: Settings
    run_id: str


def derive(settings: Settings, **overrides: object) -> Settings:
    """A validated copy of ``settings`` with ``overrides`` (secrets carried over)."""
    data = {
        **settings.model_dump(),
        "database_url": settings.database_url.get_secret_value(),
        "database_owner_url": settings.database_owner_url.get_secret_value(),
        "patient_key_secret": settings.patient_key_secret.get_secret_value(),
        **overrides,
    }
    return Settings(**data)


def new_scope(settings: Settings, label: str, **overrides: object) -> RunScope:
    run_id = f"{label}-{uuid.uuid4().hex[:8]}"
    return RunScope(
        derive(
            settings,
            topic_prefix=f"bench.{run_id}.",
            app_id=f"samflyt-bench-{run_id}",
            worker_web_port=0,
            **overrides,
        ),
        run_id,
    )


async def prepare_topics(settings: Settings) -> None:
    """Create the catalogue under the run's prefix, grant the run's principals their ACLs
    (the benchmark pays for TLS, SASL and authorisation as a deployment does) and publish the
    registry to it."""
    await apply_acls(settings, acl_plan(settings), create_users=True)
    await ensure_topics(settings)
    await publish_registry(settings)


async def wait_group_stable(settings: Settings, members: int, deadline_s: float = 180.0) -> float:
    """Wait until the app's consumer group is Stable with ``members`` members; returns seconds.

    Measuring starts only then: a partition handed over while its tables hold state is a
    different path (table recovery from the changelog) from steady-state processing."""
    admin = AIOKafkaAdminClient(**settings.kafka(OPERATOR).options())
    await admin.start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < deadline_s:
            try:
                responses = await admin.describe_consumer_groups([settings.app_id])
            except GroupCoordinatorNotAvailableError:  # a fresh broker's offsets topic
                await asyncio.sleep(0.5)
                continue
            for response in responses:
                for group in response.groups:
                    _err, _gid, state, _ptype, _proto, found = group[:6]
                    if state == "Stable" and len(found) == members:
                        return time.monotonic() - started
            await asyncio.sleep(0.5)
        raise RuntimeError(f"consumer group {settings.app_id} not stable with {members} members")
    finally:
        await admin.close()


async def wait_drained(settings: Settings, deadline_s: float = 180.0) -> float:
    """Wait until the app's group has committed every record of the topics its agents read
    (the clock excepted); returns seconds. The phases end when each input has *an* output (its
    AppRec comes first), so routing can still be behind: stopping the workers then would count
    inputs still queued on ``canonical.events`` as lost. Exactly once, a topic written in
    transactions ends with a commit marker the group never reads past: one offset short."""
    slack = 1 if settings.processing_guarantee == "exactly_once" else 0
    admin = AIOKafkaAdminClient(**settings.kafka(OPERATOR).options())
    consumer = AIOKafkaConsumer(**settings.kafka(OPERATOR).options())
    await admin.start()
    await consumer.start()
    started = time.monotonic()
    try:
        while time.monotonic() - started < deadline_s:
            committed = await admin.list_consumer_group_offsets(settings.app_id)
            read = {
                tp: meta.offset
                for tp, meta in committed.items()
                if tp.topic.startswith(settings.topic_prefix) and not tp.topic.endswith(".clock")
            }
            ends = await consumer.end_offsets(list(read)) if read else {}
            if read and all(ends[tp] - read[tp] <= slack for tp in read):
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        raise RuntimeError(f"consumer group {settings.app_id} did not drain in {deadline_s} s")
    finally:
        await consumer.stop()
        await admin.close()


async def drop_topics(settings: Settings) -> None:
    """Delete the run's topics (its prefix) and the app's internal changelog topics."""
    admin = AIOKafkaAdminClient(**settings.kafka(ADMIN).options())
    await admin.start()
    try:
        mine = [
            t
            for t in await admin.list_topics()
            if t.startswith(settings.topic_prefix) or t.startswith(f"{settings.app_id}-")
        ]
        if mine:
            await admin.delete_topics(mine)
    except Exception as exc:  # cleanup must not hide the measurement
        log.warning("could not delete benchmark topics: %s", exc)
    finally:
        await admin.close()
