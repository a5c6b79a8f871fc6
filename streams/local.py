"""Where the local services of ``make up`` live: the same defaults as ``infra/env.sh``.

The infra scripts and the Python settings read the same ``SAMFLYT_STATE_DIR`` and port
variables, so exporting one of them moves every command, not only the services.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_KAFKA_PORT = 19092


def state_dir() -> Path:
    """``SAMFLYT_STATE_DIR``, else root's system directory or the user's XDG state home."""
    explicit = os.environ.get("SAMFLYT_STATE_DIR")
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0:  # PostgreSQL runs as its own user, who cannot enter /root
        return Path("/var/lib/samflyt")
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "samflyt"


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
