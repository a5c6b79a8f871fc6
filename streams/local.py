"""Where the local services of ``make up`` live: the same defaults as ``infra/env.sh``.

The infra scripts and the Python settings read the same ``SAMFLYT_STATE_DIR`` and port
variables, so exporting one of them moves every command, not only the services.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_KAFKA_PORT = 19092


def local_state_dir(environ: Mapping[str, str], *, is_root: bool) -> Path:
    """``SAMFLYT_STATE_DIR`` as ``infra/env.sh`` defaults it (an empty value counts as unset)."""
    if environ.get("SAMFLYT_STATE_DIR"):
        return Path(environ["SAMFLYT_STATE_DIR"])
    if is_root:  # PostgreSQL's own user cannot enter /root
        return Path("/var/lib/samflyt")
    home = Path(environ.get("HOME") or Path.home())
    return Path(environ.get("XDG_STATE_HOME") or home / ".local" / "state") / "samflyt"


def state_dir() -> Path:
    """This process's local state directory."""
    return local_state_dir(os.environ, is_root=os.geteuid() == 0)


def kafka_bootstrap() -> str:
    return f"127.0.0.1:{os.environ.get('SAMFLYT_KAFKA_PORT') or DEFAULT_KAFKA_PORT}"


def kafka_cafile() -> Path | None:
    """The local broker's CA (made at its first start), when there is one."""
    path = state_dir() / "kafka" / "tls" / "ca.pem"
    return path if path.is_file() else None


def kafka_credentials_dir() -> Path | None:
    """The local principals' SCRAM passwords (``<principal>.password``, mode 0600), made by
    ``samflyt kafka acls apply --create-users`` at ``make up``."""
    path = state_dir() / "kafka" / "users"
    return path if path.is_dir() else None
