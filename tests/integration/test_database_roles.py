"""Least privilege in the real PostgreSQL, over verified TLS: the runtime role the tests run as
has DML and nothing more, the audit log is insert-only for it, a worker does not migrate, and
production refuses a role or a connection that is not safe."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest
from pydantic import SecretStr

from schemas.errors import ConfigError
from streams import audit
from streams.db import SchemaNotCurrentError, check_database, check_schema_current, with_database
from streams.settings import DEV_AUDIT_KEY, Settings
from tests.integration.services import LocalServices

KEY = DEV_AUDIT_KEY.encode()


def _with_sslmode(url: str, mode: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "sslmode"] + [("sslmode", mode)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def _production(settings: Settings, database_url: str) -> Settings:
    """``settings`` in production, as far as the database check reads them."""
    return settings.model_copy(
        update={"environment": "production", "database_url": SecretStr(database_url)}
    )


async def test_the_connection_is_verified_tls(db: asyncpg.Connection, database_url: str) -> None:
    assert dict(parse_qsl(urlsplit(database_url).query))["sslmode"] == "verify-full"
    assert await db.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")


async def test_the_runtime_role_appends_to_and_verifies_the_audit_log(
    db: asyncpg.Connection,
) -> None:
    seq = await audit.append(db, key=KEY, action="dlq.show", reason="role test", who="sre")
    count, problems = await audit.verify(db, KEY)
    assert count >= seq and problems == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET reason = 'nothing to see'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DROP TABLE audit_log",
    ],
)
async def test_the_runtime_role_cannot_change_the_audit_log(
    db: asyncpg.Connection, statement: str
) -> None:
    await audit.append(db, key=KEY, action="dlq.show", reason="something to hide", who="sre")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE runtime_made (id int)",
        "ALTER TABLE message_journey ADD COLUMN national_id text",
        "DROP TABLE message_journey",
        "CREATE INDEX runtime_idx ON message_journey (stage)",
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'x', 'x')",
        "DELETE FROM schema_migrations",
        "TRUNCATE message_journey",
    ],
)
async def test_the_runtime_role_cannot_run_ddl_or_rewrite_the_schema_history(
    db: asyncpg.Connection, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db.execute(statement)


async def test_a_table_the_owner_adds_later_is_covered_by_default_privileges(
    db: asyncpg.Connection, owner_db: asyncpg.Connection
) -> None:
    table = f"later_{uuid.uuid4().hex[:8]}"
    await owner_db.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, v text)")
    try:
        await db.execute(f"INSERT INTO {table} (v) VALUES ('a')")
        await db.execute(f"UPDATE {table} SET v = 'b'")
        assert await db.fetchval(f"SELECT v FROM {table}") == "b"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute(f"DROP TABLE {table}")
    finally:
        await owner_db.execute(f"DROP TABLE {table}")


@pytest.fixture
def unmigrated_database(local_services: LocalServices) -> Iterator[str]:
    """An empty database (as a new deployment has before `samflyt migrate`); its name."""
    import asyncio

    name = f"samflyt_empty_{uuid.uuid4().hex[:8]}"
    admin = with_database(local_services.database_owner_url, "postgres")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield name
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_worker_on_an_unmigrated_database_stops_naming_samflyt_migrate(
    local_services: LocalServices, unmigrated_database: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SAMFLYT_ENVIRONMENT": "test",
        "SAMFLYT_KAFKA_BOOTSTRAP": local_services.kafka_bootstrap,
        "SAMFLYT_DATABASE_URL": with_database(local_services.database_url, unmigrated_database),
        "SAMFLYT_DATABASE_OWNER_URL": with_database(
            local_services.database_owner_url, unmigrated_database
        ),
        "SAMFLYT_WORKER_DATA_DIR": str(tmp_path),
        "SAMFLYT_WORKER_WEB_PORT": "0",
    }
    env.pop("SAMFLYT_CONFIG", None)
    worker = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode != 0
    assert "not migrated" in worker.stderr and "`samflyt migrate`" in worker.stderr
    assert "Traceback" not in worker.stderr


async def test_a_schema_behind_this_release_is_named_with_samflyt_migrate(
    db: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    for path in settings.migrations_dir.glob("*.sql"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "9999_next_release.sql").write_text("SELECT 1;")
    with pytest.raises(SchemaNotCurrentError, match=r"9999_next_release\.sql.*samflyt migrate"):
        await check_schema_current(db, tmp_path)
    await check_schema_current(db, settings.migrations_dir)  # this release's schema: current


async def test_production_starts_as_the_runtime_role_over_verified_tls(
    settings: Settings, database_url: str
) -> None:
    await check_database(_production(settings, database_url), environ={})


async def test_production_refuses_a_superuser(
    settings: Settings, local_services: LocalServices, session_database: str
) -> None:
    if local_services.database_superuser_url is None:
        pytest.skip("the superuser of an external database is not known to the tests")
    url = with_database(local_services.database_superuser_url, session_database)
    with pytest.raises(ConfigError, match="superuser") as refused:
        await check_database(_production(settings, url), environ={})
    assert refused.value.setting == "SAMFLYT_DATABASE_URL"


async def test_production_refuses_the_owner_of_the_schema(
    settings: Settings, database_owner_url: str
) -> None:
    with pytest.raises(ConfigError, match="owns schema") as refused:
        await check_database(_production(settings, database_owner_url), environ={})
    assert refused.value.setting == "SAMFLYT_DATABASE_URL"


@pytest.mark.parametrize("mode", ["require", "verify-ca"])
async def test_production_refuses_a_connection_without_verify_full(
    settings: Settings, database_url: str, mode: str
) -> None:
    url = _with_sslmode(database_url, mode)
    await check_database(settings.model_copy(update={"database_url": SecretStr(url)}), environ={})
    with pytest.raises(ConfigError, match="verify-full") as refused:
        await check_database(_production(settings, url), environ={})
    assert refused.value.setting == "SAMFLYT_DATABASE_URL"


async def test_the_local_server_refuses_connections_without_tls(database_url: str) -> None:
    with pytest.raises((asyncpg.InvalidAuthorizationSpecificationError, ConnectionError)):
        conn = await asyncpg.connect(_with_sslmode(database_url, "disable"))
        await conn.close()


