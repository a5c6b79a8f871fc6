"""Whether a database connection is fit for production: the pure decisions of start-up.

In production samflyt runs as a role that can neither bypass nor rewrite what it stores: not a
superuser, not the owner of the schema or of a table (an owner can drop the audit log's
append-only trigger, rewrite rows and hide it), and only over TLS whose server certificate is
verified against a CA for the host named in the URL (``sslmode=verify-full``: anything less
lets a machine in the path read health data or pose as the database).
:func:`streams.db.check_database` gathers the facts and raises these refusals as
:class:`~schemas.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

VERIFIED_TLS = "verify-full"
LIBPQ_DEFAULT_SSLMODE = "prefer"  # asyncpg's too: TLS if offered, unverified, else plaintext


def url_user(url: str) -> str | None:
    """The role a ``postgresql://`` URL logs in as (None: left to PGUSER / the OS user)."""
    user = urlsplit(url).username
    return unquote(user) if user else None


def sslmode(url: str, environ: Mapping[str, str]) -> str:
    """The sslmode a connection to ``url`` uses: the URL's, else ``PGSSLMODE``, else prefer."""
    modes = parse_qs(urlsplit(url).query).get("sslmode")
    return (modes[-1] if modes else None) or environ.get("PGSSLMODE") or LIBPQ_DEFAULT_SSLMODE


def tls_refusal(url: str, environ: Mapping[str, str]) -> str | None:
    """Why ``url`` may not be used in production, as to transport (None: it may)."""
    mode = sslmode(url, environ)
    if mode == VERIFIED_TLS:
        return None
    return (
        f"production needs verified TLS to PostgreSQL: the URL must say sslmode={VERIFIED_TLS}"
        f" (and sslrootcert=the CA file); it uses sslmode={mode}"
    )


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What the database says about the role a connection runs as."""

    role: str
    superuser: bool
    schema: str
    owns_schema: bool  # the schema's owner, or a member of it (a database owner, in 15+)
    owned_tables: tuple[str, ...]  # tables in the schema it owns, or is a member of the owner of
    ssl: bool  # this connection is encrypted


def role_refusal(facts: RoleFacts) -> str | None:
    """Why a connection with ``facts`` may not serve production (None: it may)."""
    if facts.superuser:
        return f"role {facts.role} is a superuser; production runs as the runtime role"
    if facts.owns_schema:
        return (
            f"role {facts.role} owns schema {facts.schema}; production runs as a role that only"
            " has the grants `samflyt migrate` gives it (the owner is SAMFLYT_DATABASE_OWNER_URL)"
        )
    if facts.owned_tables:
        shown = ", ".join(facts.owned_tables[:5]) + (", ..." if len(facts.owned_tables) > 5 else "")
        return (
            f"role {facts.role} owns tables ({shown}); production runs as a role that only has"
            " the grants `samflyt migrate` gives it"
        )
    if not facts.ssl:
        return "the connection is not encrypted; production needs verified TLS"
    return None
