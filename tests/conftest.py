"""Shared test configuration: unit tests need nothing; integration tests get real services."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# an unset SAMFLYT_ENVIRONMENT means production; the tests ask for development explicitly
# (tests of the production checks set it themselves)
os.environ.setdefault("SAMFLYT_ENVIRONMENT", "development")

INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Everything under tests/integration talks to the real broker and database.
    for item in items:
        if INTEGRATION_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
