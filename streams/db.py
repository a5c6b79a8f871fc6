"""PostgreSQL access: connection pools and the versioned migration runner.

Migrations are the ``NNNN_name.sql`` files of ``infra/postgres/migrations``, applied in order,
each in its own transaction, recorded with a checksum in ``schema_migrations``. A changed file
that was already applied stops start-up (never edit a released migration: add a new one), and
so does an applied migration this release does not have: the database was migrated by a newer
release, whose tables this one would misread or write without the columns it relies on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import asyncpg

from schemas.errors import SamflytError
from streams.settings import Settings

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5A4D_F1F7  # advisory lock: one migrator at a time across workers


class MigrationError(SamflytError):
    """The migrations on disk disagree with what the database has applied."""


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


async def migrate(conn: asyncpg.Connection, directory: Path) -> list[str]:
    """Apply the pending migrations; return the names applied."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        done = {r["version"]: r["checksum"] for r in rows}
        files = migration_files(directory)
        known = {version for version, _, _ in files}
        unknown = sorted(r["name"] for r in rows if r["version"] not in known)
        if unknown:
            raise MigrationError(
                f"the database has migrations this release does not: {', '.join(unknown)}"
                " (it was migrated by a newer release; run that one, or restore the database)"
            )
        for version, name, sql in files:
            if version in done:
                if done[version] != _checksum(sql):
                    raise MigrationError(f"applied migration {name} was changed on disk")
                continue
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
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied_now


async def connect(settings: Settings) -> asyncpg.Connection:
    return await asyncpg.connect(settings.database_url.get_secret_value())


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url.get_secret_value(), min_size=min_size, max_size=max_size
    )


async def migrate_database(settings: Settings) -> list[str]:
    """Connect, apply pending migrations, disconnect."""
    conn = await connect(settings)
    try:
        return await migrate(conn, settings.migrations_dir)
    finally:
        await conn.close()
