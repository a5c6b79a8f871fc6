"""What the runtime role may do in samflyt's schema, as data, and the SQL that grants exactly that.

Least privilege: the owner role (``SAMFLYT_DATABASE_OWNER_URL``) owns the schema and applies the
migrations; the runtime role (``SAMFLYT_DATABASE_URL``) gets DML on the tables and nothing
else — no DDL, no TRUNCATE except where a table is replaced as a whole. The audit log is
insert-only for it (select, for ``samflyt audit`` to verify the chain), and the migration
history is read-only: it can see the schema is current, not pretend it is. ``samflyt migrate``
applies these grants after every run, so a table a migration adds is covered at once; default
privileges cover tables the owner creates by hand (e.g. a core journal adapter's outbox).
"""

from __future__ import annotations

from collections.abc import Iterable

from streams.registries.store import REGISTRY_TABLES

RUNTIME_DML = ("SELECT", "INSERT", "UPDATE", "DELETE")
# tables whose rows the runtime may not change or remove once written
RESTRICTED: dict[str, tuple[str, ...]] = {
    "audit_log": ("SELECT", "INSERT"),
    "schema_migrations": ("SELECT",),
}
# replaced as a whole by ``registry seed-synthetic`` and the demo (development and test only)
REPLACED_WHOLE = frozenset(REGISTRY_TABLES)


def runtime_privileges(table: str) -> tuple[str, ...]:
    """The privileges the runtime role holds on ``table``."""
    if table in RESTRICTED:
        return RESTRICTED[table]
    if table in REPLACED_WHOLE:
        return (*RUNTIME_DML, "TRUNCATE")
    return RUNTIME_DML


def quote_ident(name: str) -> str:
    """``name`` as a PostgreSQL identifier, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


def runtime_grant_statements(schema: str, tables: Iterable[str], runtime_role: str) -> list[str]:
    """SQL that leaves ``runtime_role`` with exactly :func:`runtime_privileges` on each table
    (revoked first, so a privilege granted by hand does not survive), use of the sequences, and
    the default privileges for tables created later; run it as the schema's owner."""
    s, r = quote_ident(schema), quote_ident(runtime_role)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        # PostgreSQL before 15 lets every role create tables in public
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC",
    ]
    for table in sorted(tables):
        t = f"{s}.{quote_ident(table)}"
        statements.append(f"REVOKE ALL ON TABLE {t} FROM {r}")
        statements.append(f"GRANT {', '.join(runtime_privileges(table))} ON TABLE {t} TO {r}")
    statements += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {', '.join(RUNTIME_DML)} ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
    return statements
