"""Where the local PostgreSQL of ``infra/postgres/postgres.sh`` is, and how samflyt reaches it.

The default database URLs come from the environment the infra scripts read (``infra/env.sh``:
``SAMFLYT_STATE_DIR``, ``SAMFLYT_PG_PORT``), so a private instance started with other values is
what every command uses too. The URLs hold no secret: the password is in a pgpass file of the
state directory (mode 0600) and the server is verified against the local CA (verify-full).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote

from streams.local import local_state_dir

DEFAULT_PG_PORT = 15432
LOCAL_DATABASE = "samflyt"
OWNER_ROLE = "samflyt_owner"
RUNTIME_ROLE = "samflyt_app"


def local_database_url(
    role: str, environ: Mapping[str, str] | None = None, *, is_root: bool | None = None
) -> str:
    """The URL ``postgres.sh url`` (runtime) or ``postgres.sh owner-url`` prints for ``role``."""
    env = os.environ if environ is None else environ
    root = os.geteuid() == 0 if is_root is None else is_root
    home = local_state_dir(env, is_root=root) / "postgres"
    port = env.get("SAMFLYT_PG_PORT") or str(DEFAULT_PG_PORT)
    ca = quote(str(home / "tls" / "ca.crt"), safe="/")
    passfile = quote(str(home / "secrets" / f"{role}.pgpass"), safe="/")
    return (
        f"postgresql://{role}@127.0.0.1:{port}/{LOCAL_DATABASE}"
        f"?sslmode=verify-full&sslrootcert={ca}&passfile={passfile}"
    )
