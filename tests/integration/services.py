"""Start the real local Kafka broker and PostgreSQL for the integration tests when needed.

Services already running (from ``make demo`` or ``infra/services.sh up``) or configured through
``SAMFLYT_KAFKA_BOOTSTRAP`` / ``SAMFLYT_DATABASE_URL`` are reused and left running; services this
module starts are stopped at the end of the session.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

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
    database_url: str = ""
    started: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.kafka_bootstrap = os.environ.get("SAMFLYT_KAFKA_BOOTSTRAP") or _infra_value(
            "kafka/kafka.sh", "bootstrap"
        )
        if "SAMFLYT_KAFKA_BOOTSTRAP" not in os.environ and not _kafka_ready():
            _run("kafka/kafka.sh", "start")
            self.started.append("kafka/kafka.sh")
        self.database_url = os.environ.get("SAMFLYT_DATABASE_URL") or _infra_value(
            "postgres/postgres.sh", "url"
        )
        if "SAMFLYT_DATABASE_URL" not in os.environ and not _postgres_ready():
            _run("postgres/postgres.sh", "start")
            self.started.append("postgres/postgres.sh")

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
