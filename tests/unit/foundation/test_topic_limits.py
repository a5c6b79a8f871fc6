"""How a refused raise of an existing topic's record limit is handled (the broker's answers as
aiokafka returns them; the raise itself is tested against the real broker in
tests/integration/test_topic_limits.py)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.sdk import MAX_RECORD_BYTES
from streams.admin import _raise_record_limits

_DYNAMIC, _DEFAULT = 1, 5


class _Admin:
    """Answers DescribeConfigs with two low-limit topics and refuses AlterConfigs for one."""

    def __init__(self) -> None:
        self.altered: list[Any] = []

    async def describe_configs(self, resources: list[Any]) -> list[Any]:
        entries = [
            ("max.message.bytes", "1048588", False, _DYNAMIC, False, []),
            ("cleanup.policy", "compact", False, _DYNAMIC, False, []),
            ("retention.ms", "604800000", False, _DEFAULT, False, []),
        ]
        return [SimpleNamespace(resources=[(0, "", 2, r.name, entries) for r in resources])]

    async def alter_configs(self, resources: list[Any]) -> list[Any]:
        self.altered = resources
        answers = [(0, "", 2, "open"), (29, "Topic authorization failed.", 2, "shared")]
        return [SimpleNamespace(resources=answers)]


async def test_a_refused_raise_is_a_warning_and_the_rest_are_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = _Admin()
    with caplog.at_level(logging.WARNING):
        raised = await _raise_record_limits(admin, ["open", "shared"])  # type: ignore[arg-type]
    assert raised == ["open"]
    written = {r.name: r.configs for r in admin.altered}
    # the topic's own settings are written back with the new limit; defaults are not pinned
    own = {"max.message.bytes": str(MAX_RECORD_BYTES), "cleanup.policy": "compact"}
    assert written["open"] == own
    assert any("could not raise" in r.getMessage() for r in caplog.records)
