"""A config file that is not valid YAML is reported by position, never by its text."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.runner import read_config_file
from connectors.sdk import ConnectorConfigError

PASSWORD = "Pa55: word"  # a colon and a space in a plain scalar: not valid YAML


def test_a_yaml_error_in_a_connector_config_names_the_position_not_the_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "connector.yaml"
    path.write_text(f"type: message-store\npassword: {PASSWORD} x\n", encoding="utf-8")
    with pytest.raises(ConnectorConfigError) as info:
        read_config_file(path)
    assert "Pa55" not in str(info.value)
    assert "line" in str(info.value) and "column" in str(info.value)
