"""The example connector package, installed through its entry point, passes the conformance
suite — exactly as a municipality's own package would run it.

Install it once in the environment: ``pip install -e examples/samflyt-connector-example``.
Without it the test is skipped on a laptop and fails in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from connectors import registry
from connectors.sdk import ENTRY_POINT_GROUP, Source

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "samflyt-connector-example"

if not any(ep.name == "welfare-alarms" for ep in entry_points(group=ENTRY_POINT_GROUP)):
    message = f"example connector not installed: pip install -e {EXAMPLE}"
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


def test_the_example_is_discovered_through_its_entry_point() -> None:
    cls = registry.load("welfare-alarms")
    assert issubclass(cls, Source) and cls.__module__ == "samflyt_connector_example"


def test_the_example_package_passes_the_conformance_suite() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
