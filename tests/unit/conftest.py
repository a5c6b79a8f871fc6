"""Unit tests reach no broker: a client built here (a Faust app that is never started) is
given a password so that building it does not look for the local principals' files."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_broker_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLYT_KAFKA_SASL_PASSWORD", "unit-tests-reach-no-broker")
