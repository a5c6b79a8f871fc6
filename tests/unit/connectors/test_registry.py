"""Discovery through a real (fake) distribution on sys.path: a dist-info with entry points."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from connectors import registry
from connectors.sdk import ConnectorNotFoundError, IncompatiblePluginError

PLUGIN = textwrap.dedent(
    """
    from typing import ClassVar
    from connectors.sdk import Source, SourceConfig

    class Good(Source[SourceConfig]):
        name: ClassVar[str] = "fake-good"
        sdk_version: ClassVar[str] = "1.0"
        config_model: ClassVar[type[SourceConfig]] = SourceConfig

    class Future(Good):
        name: ClassVar[str] = "fake-future"
        sdk_version: ClassVar[str] = "2.0"
    """
)


@pytest.fixture
def fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fake_connector_plugin.py").write_text(PLUGIN)
    info = tmp_path / "fake_connector_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-connector-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[samflyt.connectors]\n"
        "fake-good = fake_connector_plugin:Good\n"
        "fake-future = fake_connector_plugin:Future\n"
        "fake-misnamed = fake_connector_plugin:Good\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("fake_connector_plugin", None)


def test_entry_points_are_discovered_by_name(fake_distribution: None) -> None:
    assert {"fake-good", "fake-future"} <= set(registry.available())
    assert registry.load("fake-good").__name__ == "Good"


def test_a_plugin_for_another_major_is_refused_clearly(fake_distribution: None) -> None:
    with pytest.raises(IncompatiblePluginError, match=r"built for connector SDK 2\.0"):
        registry.load("fake-future")


def test_entry_point_name_must_equal_connector_name(fake_distribution: None) -> None:
    with pytest.raises(IncompatiblePluginError, match="fake-misnamed"):
        registry.load("fake-misnamed")


def test_unknown_name_lists_what_is_registered(fake_distribution: None) -> None:
    with pytest.raises(ConnectorNotFoundError, match="fake-good"):
        registry.load("nope")


def test_newer_minor_is_refused_older_minor_accepted() -> None:
    from connectors.sdk import check_compatible

    check_compatible("x", "1.0", sdk="1.3")
    with pytest.raises(IncompatiblePluginError, match="Upgrade samflyt"):
        check_compatible("x", "1.4", sdk="1.3")
