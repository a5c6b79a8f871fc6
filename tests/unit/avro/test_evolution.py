"""Released schemas: frozen, backward compatible release to release, with permanent ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema

from schemas.catalogue import (
    Catalogue,
    SchemaVersion,
    avro_dir,
    default_catalogue,
    expand,
    load_sources,
    release,
)
from schemas.codec import decode, encode
from schemas.compat import incompatibilities
from schemas.exceptions import CatalogueError
from tests.unit.avro.samples import records

CATALOGUE = default_catalogue()
SOURCES = load_sources()

# Ids are permanent: this table only ever grows.
PINNED_IDS = {
    1: ("no.samflyt.event.CanonicalEvent", 1),
    2: ("no.samflyt.delivery.Delivery", 1),
    3: ("no.samflyt.receipt.Receipt", 1),
    4: ("no.samflyt.deadletter.DeadLetter", 1),
    5: ("no.samflyt.routing.Decision", 1),
    6: ("no.samflyt.overdue.Overdue", 1),
    7: ("no.samflyt.registry.CommunicationParty", 1),
    8: ("no.samflyt.registry.PatientRegistryEntry", 1),
    9: ("no.samflyt.delivery.Delivery", 2),
    10: ("no.samflyt.event.CanonicalEvent", 2),
    11: ("no.samflyt.delivery.Delivery", 3),
    12: ("no.samflyt.routing.Decision", 2),
    13: ("no.samflyt.deadletter.DeadLetter", 2),
}


def test_ids_never_change() -> None:
    for schema_id, (name, version) in PINNED_IDS.items():
        entry = CATALOGUE.by_id(schema_id)
        assert (entry.name, entry.version) == (name, version)


@pytest.mark.parametrize("name", CATALOGUE.names)
def test_source_equals_latest_release(name: str) -> None:
    latest = CATALOGUE.latest(name)
    assert expand(name, SOURCES) == CATALOGUE.schema(latest), (
        f"{name} changed since v{latest.version}: run `python -m schemas.catalogue release {name}`"
    )


@pytest.mark.parametrize("entry", CATALOGUE.entries(), ids=lambda e: f"{e.name}-v{e.version}")
def test_every_release_is_compatible_with_the_previous(entry: Any) -> None:
    schema = CATALOGUE.schema(entry)
    parse_schema(schema, {})
    if entry.version > 1:
        previous = CATALOGUE.schema(CATALOGUE.version(entry.name, entry.version - 1))
        assert incompatibilities(reader=schema, writer=previous) == []


def test_every_top_level_schema_has_a_sample_that_round_trips() -> None:
    samples = records()
    assert sorted(samples) == sorted(name.rsplit(".", 1)[-1] for name in CATALOGUE.names)
    for name, record in samples.items():
        assert decode(encode(name, record))[1] == record


def _walk(node: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
    elif isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed"):
            found.append(node)
        for value in node.values():
            _walk(value, found)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_sources_are_documented_and_namespaced(name: str) -> None:
    schema = SOURCES[name]
    assert name.startswith("no.samflyt.")
    named: list[dict[str, Any]] = []
    _walk(schema, named)
    for item in named:
        assert item.get("doc"), f"{item['name']} has no doc"
        for field in item.get("fields", ()):
            assert field.get("doc"), f"{item['name']}.{field['name']} has no doc"


_GENERATED_IDS = frozenset(
    {"event_id", "delivery_id", "decision_id", "dead_letter_id", "overdue_id", "receipt_id"}
)


def test_times_and_ids_use_logical_types() -> None:
    for name in CATALOGUE.names:
        fields: list[tuple[str, Any]] = []
        named: list[dict[str, Any]] = []
        _walk(CATALOGUE.schema(CATALOGUE.latest(name)), named)
        for item in named:
            fields += [(f["name"], f["type"]) for f in item.get("fields", ())]
        for field, type_ in fields:
            text = json.dumps(type_)
            if field.endswith("_at") or field in ("deadline", "visit_start", "visit_end"):
                assert '"timestamp-millis"' in text or '"date"' in text, f"{name}.{field}"
            if field in _GENERATED_IDS:
                assert '"uuid"' in text, f"{name}.{field}"


def test_release_writes_the_next_version_and_refuses_incompatible_changes(tmp_path: Path) -> None:
    root = tmp_path / "avro"
    shutil.copytree(Path(str(avro_dir())), root)
    assert release("no.samflyt.routing.Decision", root) is None  # unchanged
    shipped = Catalogue.load(root).latest("Decision").version
    source = root / "no.samflyt.routing.Decision.avsc"
    schema = json.loads(source.read_text())
    schema["fields"].append(
        {"name": "note", "type": ["null", "string"], "default": None, "doc": "n"}
    )
    source.write_text(json.dumps(schema))
    entry = release("no.samflyt.routing.Decision", root)
    assert entry is not None
    assert (entry.version, entry.schema_id) == (shipped + 1, max(PINNED_IDS) + 1)
    reloaded = Catalogue.load(root)
    assert reloaded.latest("Decision") == entry
    assert reloaded.by_id(5).version == 1  # the old id still names v1
    schema["fields"].append({"name": "required", "type": "string", "doc": "r"})
    source.write_text(json.dumps(schema))
    with pytest.raises(CatalogueError, match="not backward compatible"):
        release("no.samflyt.routing.Decision", root)


def test_inconsistent_catalogues_fail_at_load(tmp_path: Path) -> None:
    a = SchemaVersion(1, "no.x.A", 1)
    with pytest.raises(CatalogueError, match="unique"):
        Catalogue([a, SchemaVersion(1, "no.x.B", 1)], avro_dir())
    with pytest.raises(CatalogueError, match="gaps"):
        Catalogue([a, SchemaVersion(2, "no.x.A", 3)], avro_dir())
    with pytest.raises(CatalogueError, match="short name"):
        Catalogue([a, SchemaVersion(2, "no.y.A", 1)], avro_dir())
    with pytest.raises(CatalogueError, match="not released"):
        Catalogue([a], avro_dir()).schema(a)
