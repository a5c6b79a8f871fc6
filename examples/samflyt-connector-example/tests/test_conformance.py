"""The example connector through samflyt's conformance suite, loaded through its entry point."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, ClassVar

from connectors import registry
from connectors.sdk.testing import SourceConformance


class TestWelfareAlarms(SourceConformance):
    connector_class: ClassVar[Any] = registry.load("welfare-alarms")
    invalid_settings = frozenset({"topic", "service_her_id"})

    def make_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"topic": "samflyt.raw.welfare", "path": str(tmp_path / "alarms.jsonl"),
                "service_her_id": "8143541"}

    def invalid_config(self, tmp_path: Path) -> dict[str, Any]:
        return {"path": str(tmp_path), "service_her_id": "not-a-her-id"}

    async def add_input(self, source: Any, count: int) -> None:
        with open(source.config.path, "a", encoding="utf-8") as fh:
            for _ in range(count):
                fh.write(json.dumps({"id": str(uuid.uuid4()), "kind": "fall"}) + "\n")
