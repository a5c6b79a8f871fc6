"""PostgreSQL access: connection pools, the versioned migration runner and the start-up check.

Migrations are the ``NNNN_name.sql`` files of ``infra/postgres/migrations``, applied in order,
each in its own transaction, recorded with a checksum in ``schema_migrations``. A changed file
that was already applied stops start-up (never edit a released migration: add a new one), and
so does an applied migration this release does not have: the database was migrated by a newer
release, whose tables this one would misread or write without the columns it relies on.

Two roles: ``samflyt migrate`` is a step of its own, run as the owner of the schema
(``database_owner_url``); it applies the migrations and grants the runtime role
(``database_url``) what :mod:`streams.db_privileges` says. Workers and tools run as the runtime
role; at start they only check the schema is current (:func:`check_database`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from schemas.errors import ConfigError, SamflytError
from streams.db_privileges import runtime_grant_statements
from streams.db_safety import RoleFacts, role_refusal, tls_refusal, url_user
from streams.settings import ENV_PREFIX, Settings

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5A4D_F1F7  # advisory lock: one migrator at a time
MIGRATE_COMMAND = "samflyt migrate"
RUNTIME_URL_SETTING = f"{ENV_PREFIX}DATABASE_URL"
OWNER_URL_SETTING = f"{ENV_PREFIX}DATABASE_OWNER_URL"


class MigrationError(SamflytError):
    """The migrations on disk disagree with what the database has applied."""


class SchemaNotCurrentError(MigrationError):
    """The database lacks migrations this release needs: ``samflyt migrate`` has not run."""


def migration_files(directory: Path) -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration in the directory, in version order."""
    found: dict[int, Path] = {}
    for path in directory.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name not NNNN_name.sql: {path.name}")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations with version {version}: {path.name}")
        found[version] = path
    return [(v, found[v].name, found[v].read_text(encoding="utf-8")) for v in sorted(found)]


def _checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def pending_migrations(
    applied: Mapping[int, tuple[str, str]], files: list[tuple[int, str, str]]
) -> list[tuple[int, str, str]]:
    """The files not applied yet, given ``applied`` (version → (name, checksum)); raises when
    the two histories disagree (an applied file changed, or one this release does not have)."""
    known = {version for version, _, _ in files}
    unknown = sorted(name for version, (name, _) in applied.items() if version not in known)
    if unknown:
        raise MigrationError(
            f"the database has migrations this release does not: {', '.join(unknown)}"
            " (it was migrated by a newer release; run that one, or restore the database)"
        )
    for version, name, sql in files:
        if version in applied and applied[version][1] != _checksum(sql):
            raise MigrationError(f"applied migration {name} was changed on disk")
    return [f for f in files if f[0] not in applied]


async def _applied(conn: asyncpg.Connection) -> dict[int, tuple[str, str]]:
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    return {r["version"]: (r["name"], r["checksum"]) for r in rows}


async def migrate(
    conn: asyncpg.Connection, directory: Path, *, runtime_role: str | None = None
) -> list[str]:
    """Apply the pending migrations, then (given ``runtime_role``) grant that role its
    privileges on every table; return the names applied. Run as the schema's owner."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        pending = pending_migrations(await _applied(conn), migration_files(directory))
        for version, name, sql in pending:
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    version,
                    name,
                    _checksum(sql),
                )
            applied_now.append(name)
            log.info("applied migration", extra={"migration": name})
        if runtime_role:
            await grant_runtime(conn, runtime_role)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied_now


async def grant_runtime(conn: asyncpg.Connection, runtime_role: str) -> None:
    """Give ``runtime_role`` exactly its privileges on the tables this role owns, in one
    transaction (a table is never left with the grants half changed)."""
    schema = await conn.fetchval("SELECT current_schema()")
    tables = [
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tableowner = current_user",
            schema,
        )
    ]
    async with conn.transaction():
        for statement in runtime_grant_statements(schema, tables, runtime_role):
            await conn.execute(statement)
    log.info("granted the runtime role", extra={"role": runtime_role, "tables": len(tables)})


async def check_schema_current(conn: asyncpg.Connection, directory: Path) -> None:
    """Raise :class:`SchemaNotCurrentError`, naming ``samflyt migrate``, unless every migration
    of this release is applied (and none is changed or unknown)."""
    if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        raise SchemaNotCurrentError(
            f"the database is not migrated: run `{MIGRATE_COMMAND}` (as the owner role,"
            f" {OWNER_URL_SETTING}) before starting workers or tools"
        )
    pending = pending_migrations(await _applied(conn), migration_files(directory))
    if pending:
        raise SchemaNotCurrentError(
            f"the database lacks migrations {', '.join(name for _, name, _ in pending)}: run"
            f" `{MIGRATE_COMMAND}` (as the owner role, {OWNER_URL_SETTING}) before starting"
            " workers or tools"
        )


async def role_facts(conn: asyncpg.Connection) -> RoleFacts:
    """What the database says about the role ``conn`` runs as (see :func:`role_refusal`)."""
    row = await conn.fetchrow(
        """
        SELECT current_user AS role, r.rolsuper AS superuser, n.nspname AS schema,
               pg_has_role(current_user, n.nspowner, 'MEMBER') AS owns_schema,
               coalesce((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
                         WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                           AND pg_has_role(current_user, c.relowner, 'MEMBER')), '{}') AS owned,
               coalesce((SELECT s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()), false)
                   AS ssl
        FROM pg_roles r, pg_namespace n
        WHERE r.rolname = current_user AND n.nspname = current_schema()
        """
    )
    if row is None:
        raise ConfigError(RUNTIME_URL_SETTING, "the database has no schema on the search_path")
    return RoleFacts(
        role=row["role"],
        superuser=row["superuser"],
        schema=row["schema"],
        owns_schema=row["owns_schema"],
        owned_tables=tuple(row["owned"]),
        ssl=row["ssl"],
    )


def refuse_unverified_tls(url: str, setting: str, environ: Mapping[str, str]) -> None:
    """Raise ConfigError naming ``setting`` when ``url`` does not verify the server."""
    problem = tls_refusal(url, environ)
    if problem:
        raise ConfigError(setting, problem)


async def check_database(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Start-up check of every process that uses the database: in production the runtime
    connection must use verified TLS (checked before any password is sent) and a role that is
    neither superuser nor owner; everywhere, the schema must be current. Raises ConfigError
    naming the setting, or SchemaNotCurrentError naming ``samflyt migrate``."""
    production = settings.environment == "production"
    if production:
        refuse_unverified_tls(
            settings.database_url.get_secret_value(),
            RUNTIME_URL_SETTING,
            os.environ if environ is None else environ,
        )
    conn = await connect(settings)
    try:
        if production:
            problem = role_refusal(await role_facts(conn))
            if problem:
                raise ConfigError(RUNTIME_URL_SETTING, problem)
        await check_schema_current(conn, settings.migrations_dir)
    finally:
        await conn.close()


def describe_database(url: str) -> str:
    """Where a database URL points, for a command's first line: host, port, database and
    role, never a password."""
    parts = urlsplit(url)
    who = f" as {parts.username}" if parts.username else ""
    return f"PostgreSQL {parts.hostname}:{parts.port or 5432}{parts.path or '/'}{who}"


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead (role, host and TLS options kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def connect(settings: Settings) -> asyncpg.Connection:
    """A connection as the runtime role."""
    return await asyncpg.connect(settings.database_url.get_secret_value())


async def connect_owner(settings: Settings) -> asyncpg.Connection:
    """A connection as the owner role (migrations only)."""
    return await asyncpg.connect(settings.database_owner_url.get_secret_value())


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url.get_secret_value(), min_size=min_size, max_size=max_size
    )


async def migrate_database(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[str]:
    """``samflyt migrate``: connect as the owner, apply pending migrations, grant the runtime
    role (the user of ``database_url``) its privileges, disconnect."""
    owner_url = settings.database_owner_url.get_secret_value()
    if settings.environment == "production":
        env = os.environ if environ is None else environ
        refuse_unverified_tls(owner_url, OWNER_URL_SETTING, env)
    conn = await connect_owner(settings)
    try:
        owner = await conn.fetchval("SELECT current_user")
        runtime = url_user(settings.database_url.get_secret_value())
        if runtime is None or runtime == owner:
            log.warning(
                "the runtime role is the owner (or unnamed): no grants applied",
                extra={"setting": RUNTIME_URL_SETTING},
            )
            runtime = None
        return await migrate(conn, settings.migrations_dir, runtime_role=runtime)
    finally:
        await conn.close()
