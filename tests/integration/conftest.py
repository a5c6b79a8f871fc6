"""Fixtures for integration tests: the real Kafka broker and PostgreSQL, isolated per test.

Each session gets a fresh database (created and migrated by the owner role, dropped at the end);
tests run as the runtime role (``database_url``, the DML ``samflyt migrate`` grants), over
verified TLS, as production does; the few that need more (DDL, a privileged user tampering with
the audit log) take ``database_owner_url``. Each test gets its own topic prefix and app id, so
tests never see each other's messages and pass when run twice in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.kafka_security import KafkaConnection
from streams.acls import apply_grants, remove_grants
from streams.admin import ensure_topics
from streams.db import migrate_database, with_database
from streams.principals import ADMIN, Grant, acl_plan
from streams.settings import Settings, load_settings
from streams.topics import TopicSpec
from tests.integration.services import LocalServices, services_required

# the grants each test's settings were given, removed with the session's topics
_GRANTED: list[tuple[Settings, list[Grant]]] = []


def grant_test_principals(settings: Settings, *, cleanup: bool = True) -> Settings:
    """Give the components of one test's deployment (its topic prefix and app id) their
    least-privilege ACLs, as ``make up`` does for the default one: the pipeline, connectors,
    sinks and operator of a test are as restricted as in production."""
    grants = acl_plan(settings)
    apply_grants(settings, grants, create_users=True)
    if cleanup:  # a private broker is gone by the end of the session, with its grants
        _GRANTED.append((settings, grants))
    return settings


@pytest.fixture(scope="session")
def local_services() -> Iterator[LocalServices]:
    services = LocalServices()
    try:
        services.start()
    except Exception as exc:
        if services_required():
            pytest.fail(f"integration services could not start: {exc}")
        pytest.skip(f"integration services unavailable on this machine: {exc}")
    yield services
    services.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(local_services: LocalServices) -> str:
    return local_services.kafka_bootstrap


@pytest.fixture(scope="session")
def kafka(kafka_bootstrap: str) -> KafkaConnection:
    """The broker as its super user, for tests of connector mechanics on topics of their own
    (outside the catalogue, so no component principal is granted them)."""
    return load_settings(kafka_bootstrap=kafka_bootstrap, environment="test").kafka(ADMIN)


@pytest.fixture(scope="session")
def session_database(local_services: LocalServices) -> Iterator[str]:
    """The name of a fresh database for this test session, created by the owner role and
    migrated by it as ``samflyt migrate`` does (grants for the runtime role included); dropped
    afterwards."""
    name = f"samflyt_test_{uuid.uuid4().hex[:10]}"
    admin_url = with_database(local_services.database_owner_url, "postgres")

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    migrated = load_settings(
        database_url=with_database(local_services.database_url, name),
        database_owner_url=with_database(local_services.database_owner_url, name),
        environment="test",
    )
    asyncio.run(migrate_database(migrated))
    yield name
    asyncio.run(drop())


@pytest.fixture(scope="session")
def database_url(local_services: LocalServices, session_database: str) -> str:
    """The session's database as the runtime role: what workers, connectors and tools use."""
    return with_database(local_services.database_url, session_database)


@pytest.fixture(scope="session")
def database_owner_url(local_services: LocalServices, session_database: str) -> str:
    """The session's database as the owner role (DDL; what `samflyt migrate` connects as)."""
    return with_database(local_services.database_owner_url, session_database)


@pytest.fixture(scope="session")
def topic_prefixes(kafka_bootstrap: str) -> Iterator[list[str]]:
    """Prefixes of the topics this session creates; their topics are deleted at the end, so
    repeated runs do not pile up partitions on the broker."""
    prefixes: list[str] = []
    yield prefixes
    asyncio.run(_delete_topics(kafka_bootstrap, prefixes))
    while _GRANTED:
        granted, grants = _GRANTED.pop()
        with contextlib.suppress(Exception):
            remove_grants(granted, grants)


async def _delete_topics(bootstrap: str, prefixes: list[str]) -> None:
    """Best effort: a broker busy with other work may time out; the topics are then left for
    the next session's cleanup (``make clean`` removes everything)."""
    kafka = load_settings(kafka_bootstrap=bootstrap, environment="test").kafka(ADMIN)
    admin = AIOKafkaAdminClient(**kafka.options(), request_timeout_ms=120_000)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(tuple(prefixes))]
        for i in range(0, len(doomed), 20):
            with contextlib.suppress(KafkaError):
                await admin.delete_topics(doomed[i : i + 20], timeout_ms=120_000)
    finally:
        await admin.close()


def new_test_prefix(prefixes: list[str]) -> str:
    """A topic prefix of its own, registered for deletion with the table changelogs Faust
    names after the app ids built from it (``samflyt-test-<run>``, ``samflyt-test.<run>``):
    those are not under the prefix, and thousands of them piled up on the local broker."""
    run = uuid.uuid4().hex[:10]
    prefix = f"test.{run}."
    prefixes.extend([prefix, f"samflyt-test-{run}-", f"samflyt-test.{run}-"])
    return prefix


@pytest.fixture
def settings(
    kafka_bootstrap: str, database_url: str, database_owner_url: str, topic_prefixes: list[str]
) -> Settings:
    """Settings pointing at the real services, with a topic prefix and app id of this test."""
    prefix = new_test_prefix(topic_prefixes)
    run = prefix.split(".")[1]
    return grant_test_principals(
        load_settings(
            kafka_bootstrap=kafka_bootstrap,
            database_url=database_url,
            database_owner_url=database_owner_url,
            topic_prefix=prefix,
            app_id=f"samflyt-test-{run}",
            environment="test",
            worker_web_port=0,
            partitions=2,
        )
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def owner_db(database_owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the owner role: DDL, and the tampering only an owner could do."""
    conn = await asyncpg.connect(database_owner_url)
    yield conn
    await conn.close()


@pytest.fixture
def make_topic(settings: Settings) -> Callable[..., Awaitable[str]]:
    """Create a unique topic on the real broker; returns its full name."""

    async def make(name: str = "t", partitions: int = 2, compacted: bool = False) -> str:
        spec = TopicSpec(
            name=f"{name}.{uuid.uuid4().hex[:6]}",
            key="",
            value_schema=None,
            doc="test topic",
            readers=(),
            partitions=partitions,
            compacted=compacted,
        )
        await ensure_topics(settings, [spec], principal=ADMIN)
        return settings.topic(spec.name)

    return make
