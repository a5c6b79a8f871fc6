"""Start the real local Kafka broker and PostgreSQL for the integration tests when needed.

Services already running (from ``make demo`` or ``infra/services.sh up``) or configured through
``SAMFLYT_KAFKA_BOOTSTRAP`` / ``SAMFLYT_DATABASE_URL`` with ``SAMFLYT_DATABASE_OWNER_URL`` are
reused and left running; services this module starts are stopped at the end of the session.
The database URLs are the ones every samflyt command derives (:mod:`streams.local_postgres`):
the runtime role, the owner role, and for the local cluster its superuser (tests of what
production refuses), all over verified TLS.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from connectors.kafka_security import KafkaConnection
from streams.local_postgres import OWNER_ROLE, RUNTIME_ROLE, local_database_url

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"


def services_required() -> bool:
    """In CI a missing service fails the run; only a laptop without services may skip."""
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("SAMFLYT_REQUIRE_SERVICES") == "1"
    )


def _infra_value(script: str, arg: str) -> str:
    return subprocess.run(
        ["bash", str(INFRA / script), arg], check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class LocalServices:
    kafka_bootstrap: str = ""
    database_url: str = ""  # the runtime role
    database_owner_url: str = ""
    database_superuser_url: str | None = None  # only for the local cluster
    started: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.kafka_bootstrap = os.environ.get("SAMFLYT_KAFKA_BOOTSTRAP") or _infra_value(
            "kafka/kafka.sh", "bootstrap"
        )
        if "SAMFLYT_KAFKA_BOOTSTRAP" not in os.environ and not _kafka_ready():
            _run("kafka/kafka.sh", "start")
            self.started.append("kafka/kafka.sh")
        self._start_postgres()

    def _start_postgres(self) -> None:
        runtime, owner = (os.environ.get(f"SAMFLYT_DATABASE_{n}URL") for n in ("", "OWNER_"))
        if runtime or owner:
            if not (runtime and owner):
                raise RuntimeError(
                    "set both SAMFLYT_DATABASE_URL (runtime role) and SAMFLYT_DATABASE_OWNER_URL"
                    " (owner role, with CREATEDB: each session creates its database)"
                )
            self.database_url, self.database_owner_url = runtime, owner
            return
        was_running = _postgres_ready()
        _run("postgres/postgres.sh", "start")  # also brings roles and TLS of a running one up
        if not was_running:
            self.started.append("postgres/postgres.sh")
        self.database_url = local_database_url(RUNTIME_ROLE)
        self.database_owner_url = local_database_url(OWNER_ROLE)
        self.database_superuser_url = _infra_value("postgres/postgres.sh", "superuser-url")

    def stop(self) -> None:
        for script in reversed(self.started):
            _run(script, "stop")
        self.started.clear()


def _kafka_ready() -> bool:
    return (
        subprocess.run(
            ["bash", str(INFRA / "kafka/kafka.sh"), "status"], capture_output=True
        ).returncode
        == 0
    )


def _postgres_ready() -> bool:
    return (
        subprocess.run(
            ["bash", str(INFRA / "postgres/postgres.sh"), "status"], capture_output=True
        ).returncode
        == 0
    )


def _run(script: str, action: str) -> None:
    result = subprocess.run(["bash", str(INFRA / script), action], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{script} {action} failed:\n{result.stdout}\n{result.stderr}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivateKafka:
    """A broker of one test's own (own ports and state directory), for tests that stop and
    restart it; restarting the shared broker would disturb every other test."""

    state_dir: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    mtls_port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def security(self) -> dict[str, object]:
        """The settings that trust this broker and log in to it (beside its address): its own
        CA and its own principals' passwords (it makes both at its first start, like the
        shared one)."""
        home = self.state_dir / "kafka"
        return {
            "kafka_ssl_cafile": home / "tls" / "ca.pem",
            "kafka_credentials_dir": home / "users",
        }

    def admin(self) -> KafkaConnection:
        from streams.principals import ADMIN
        from streams.settings import load_settings

        settings = load_settings(
            environment="test", kafka_bootstrap=self.bootstrap, **self.security()
        )
        return settings.kafka(ADMIN)

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SAMFLYT_STATE_DIR": str(self.state_dir),
            "SAMFLYT_KAFKA_PORT": str(self.port),
            "SAMFLYT_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "SAMFLYT_KAFKA_MTLS_PORT": str(self.mtls_port),
            "SAMFLYT_KAFKA_HEAP": "512M",
        }

    def run(self, action: str) -> None:
        result = subprocess.run(
            ["bash", str(INFRA / "kafka/kafka.sh"), action],
            capture_output=True,
            text=True,
            env=self._env(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"private kafka {action} failed:\n{result.stderr}")
