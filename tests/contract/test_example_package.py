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


def test_the_example_package_type_checks_with_its_own_config(tmp_path: Path) -> None:
    """As its author runs mypy: in its own directory, with its pyproject's settings (strict,
    pydantic's plugin), samflyt's typed packages from this tree (the lint target does this)."""
    root = EXAMPLE.parents[1]
    # its own config, not samflyt's found further up
    mypy = ["mypy", "--config-file", "pyproject.toml", "--cache-dir", str(tmp_path / "cache")]
    result = subprocess.run(
        [sys.executable, "-m", *mypy, "src", "tests"],
        cwd=EXAMPLE,
        env={**os.environ, "MYPYPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
