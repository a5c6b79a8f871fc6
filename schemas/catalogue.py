"""The schema catalogue: which Avro schema every schema id in a framed value names.

Sources live in ``schemas/avro/<namespace>.<Name>.avsc``, one named type per file, referring to
types of other files by full name. A *top-level* schema (one per topic value) is expanded into a
self-contained schema — what a standard Avro consumer or a schema registry needs — and frozen as
``schemas/avro/released/<Name>/v<N>.avsc`` when released. ``schemas/avro/catalogue.yaml`` maps each
released (name, version) to a permanent schema id; the highest version of a name is the one
records are written with. Ids never change and are never reused, so bytes written by any release
stay readable.

Releasing a changed schema: ``python -m schemas.catalogue release no.samflyt.event.CanonicalEvent``
writes the next version and id; the evolution test checks it against the previous version.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from schemas.compat import incompatibilities
from schemas.exceptions import CatalogueError, UnknownSchemaError

__all__ = [
    *("CANONICAL_EVENT", "COMMUNICATION_PARTY", "DEAD_LETTER", "DECISION", "DELIVERY"),
    *("OVERDUE", "PATIENT_REGISTRY_ENTRY", "RECEIPT"),
    *("Catalogue", "SchemaVersion", "default_catalogue", "expand", "load_sources", "release"),
]

CANONICAL_EVENT = "no.samflyt.event.CanonicalEvent"
DELIVERY = "no.samflyt.delivery.Delivery"
RECEIPT = "no.samflyt.receipt.Receipt"
DEAD_LETTER = "no.samflyt.deadletter.DeadLetter"
DECISION = "no.samflyt.routing.Decision"
OVERDUE = "no.samflyt.overdue.Overdue"
COMMUNICATION_PARTY = "no.samflyt.registry.CommunicationParty"
PATIENT_REGISTRY_ENTRY = "no.samflyt.registry.PatientRegistryEntry"

CATALOGUE_FILE = "catalogue.yaml"
RELEASED_DIR = "released"
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})

Schema = Any  # an Avro schema as JSON: str, list or dict


def avro_dir() -> Traversable:
    """The package-data directory holding the ``.avsc`` files and the catalogue."""
    return files("schemas").joinpath("avro")


def short_name(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


def released_path(name: str, version: int) -> str:
    """Path of a released schema, relative to :func:`avro_dir`."""
    return f"{RELEASED_DIR}/{short_name(name)}/v{version}.avsc"


def load_sources(directory: Traversable | None = None) -> dict[str, dict[str, Any]]:
    """Every source definition in ``directory`` by full name; the file name must be that name."""
    directory = directory or avro_dir()
    sources: dict[str, dict[str, Any]] = {}
    for entry in directory.iterdir():
        if not entry.is_file() or not entry.name.endswith(".avsc"):
            continue
        schema = json.loads(entry.read_text(encoding="utf-8"))
        full = _full(schema["name"], schema.get("namespace"))
        if entry.name != f"{full}.avsc":
            raise CatalogueError(f"{entry.name} defines {full}; name the file {full}.avsc")
        sources[full] = schema
    return sources


def _full(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def expand(name: str, sources: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The self-contained schema of ``name``: each referenced type inlined at its first use.

    Inlined definitions get an explicit namespace, so they mean the same wherever they land.
    """
    defined: set[str] = set()

    def walk(node: Schema, namespace: str | None) -> Schema:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return node
            full = _full(node, namespace)
            if full in defined:
                return full
            if full not in sources:
                raise CatalogueError(f"{name}: unknown type {node!r}")
            return walk(sources[full], namespace)
        if isinstance(node, list):
            return [walk(branch, namespace) for branch in node]
        kind = node["type"]
        if kind in _NAMED:
            own_ns = node["name"].rpartition(".")[0] or node.get("namespace", namespace)
            full = _full(node["name"], own_ns)
            if full in defined:
                raise CatalogueError(f"{name}: type {full} defined twice")
            defined.add(full)
            out = dict(node)
            if "." not in node["name"]:
                out["namespace"] = own_ns
            if kind in ("record", "error"):
                out["fields"] = [{**f, "type": walk(f["type"], own_ns)} for f in node["fields"]]
            return out
        if kind == "array":
            return {**node, "items": walk(node["items"], namespace)}
        if kind == "map":
            return {**node, "values": walk(node["values"], namespace)}
        if isinstance(kind, str) and kind in PRIMITIVES:
            return dict(node)
        return walk(kind, namespace)  # {"type": <reference or nested schema>}

    return dict(walk(name, None))


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One released version of a top-level schema and its permanent id."""

    schema_id: int
    name: str
    version: int


class Catalogue:
    """Ids ↔ (name, version), and the released schema texts. Immutable once built."""

    def __init__(self, entries: Iterable[SchemaVersion], directory: Traversable) -> None:
        self._dir = directory
        self._by_id: dict[int, SchemaVersion] = {}
        self._latest: dict[str, SchemaVersion] = {}
        self._versions: dict[str, dict[int, SchemaVersion]] = {}
        self._full_names: dict[str, str] = {}
        for entry in entries:
            if entry.schema_id in self._by_id or entry.schema_id < 1:
                raise CatalogueError(f"schema id {entry.schema_id} is not unique and positive")
            if self._full_names.setdefault(short_name(entry.name), entry.name) != entry.name:
                raise CatalogueError(f"two schemas share the short name {short_name(entry.name)}")
            versions = self._versions.setdefault(entry.name, {})
            if entry.version in versions:
                raise CatalogueError(f"{entry.name} v{entry.version} listed twice")
            versions[entry.version] = entry
            self._by_id[entry.schema_id] = entry
        for name, versions in self._versions.items():
            if sorted(versions) != list(range(1, len(versions) + 1)):
                raise CatalogueError(f"{name}: versions must run 1..N without gaps")
            self._latest[name] = versions[len(versions)]

    @classmethod
    def load(cls, directory: Traversable | None = None) -> Catalogue:
        directory = directory or avro_dir()
        data = yaml.safe_load(directory.joinpath(CATALOGUE_FILE).read_text(encoding="utf-8"))
        entries = [
            SchemaVersion(int(v["id"]), str(item["name"]), int(v["version"]))
            for item in data["schemas"]
            for v in item["versions"]
        ]
        return cls(entries, directory)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._latest)

    def entries(self) -> tuple[SchemaVersion, ...]:
        return tuple(self._by_id.values())

    def by_id(self, schema_id: int) -> SchemaVersion:
        try:
            return self._by_id[schema_id]
        except KeyError:
            raise UnknownSchemaError(
                f"unknown schema id {schema_id}", schema_id=schema_id
            ) from None

    def full_name(self, name: str) -> str:
        """The full name of ``name``, which may be given unqualified (``CanonicalEvent``)."""
        return name if name in self._versions else self._full_names.get(name, name)

    def latest(self, name: str) -> SchemaVersion:
        """The version records of ``name`` (full or unqualified) are written with."""
        try:
            return self._latest[self.full_name(name)]
        except KeyError:
            raise UnknownSchemaError(f"unknown schema name {name!r}") from None

    def version(self, name: str, version: int) -> SchemaVersion:
        try:
            return self._versions[self.full_name(name)][version]
        except KeyError:
            raise UnknownSchemaError(f"unknown schema {name!r} v{version}") from None

    def schema(self, entry: SchemaVersion) -> dict[str, Any]:
        """The released, self-contained schema text of ``entry`` as JSON."""
        path = self._dir.joinpath(*released_path(entry.name, entry.version).split("/"))
        try:
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CatalogueError(f"{entry.name} v{entry.version} is not released") from None
        return schema


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with the package, loaded once."""
    return Catalogue.load()


_HEADER = """\
# Schema ids of samflyt's framed Avro values (Confluent wire format: magic byte 0, then the id as
# a 4-byte big-endian integer, then the schemaless Avro body).
# Ids are permanent: never change, reuse or renumber one. `python -m schemas.catalogue release NAME`
# freezes a changed schema as its next version with the next free id; the highest version of a
# name is the one records are written with.
"""


def release(name: str, root: Path) -> SchemaVersion | None:
    """Freeze the current source of ``name`` under ``root`` as its next version.

    Returns the new entry, or ``None`` when the source equals the latest release. Raises
    :class:`CatalogueError` when the new version cannot read data written with the previous one.
    """
    catalogue = Catalogue.load(root)
    current = expand(name, load_sources(root))
    previous = catalogue._latest.get(name)
    if previous is not None:
        old = catalogue.schema(previous)
        if old == current:
            return None
        problems = incompatibilities(reader=current, writer=old)
        if problems:
            raise CatalogueError(f"{name} is not backward compatible: " + "; ".join(problems))
    entry = SchemaVersion(
        schema_id=max((e.schema_id for e in catalogue.entries()), default=0) + 1,
        name=name,
        version=previous.version + 1 if previous else 1,
    )
    path = root.joinpath(*released_path(name, entry.version).split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    data = yaml.safe_load(root.joinpath(CATALOGUE_FILE).read_text(encoding="utf-8"))
    items = data["schemas"]
    item = next((i for i in items if i["name"] == name), None)
    if item is None:
        item = {"name": name, "purpose": "", "versions": []}
        items.append(item)
    item["versions"].append({"version": entry.version, "id": entry.schema_id})
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    root.joinpath(CATALOGUE_FILE).write_text(_HEADER + text, encoding="utf-8")
    return entry


def main(argv: list[str] | None = None) -> int:
    """``release NAME...`` from a source checkout; ``check`` lists schemas whose source drifted."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(str(avro_dir()))
    if args[:1] == ["release"] and len(args) > 1:
        for name in args[1:]:
            entry = release(name, root)
            print(
                f"{name}: " + (f"v{entry.version} id {entry.schema_id}" if entry else "unchanged")
            )
        return 0
    if args == ["check"]:
        catalogue, sources = Catalogue.load(root), load_sources(root)
        drifted = [
            n
            for n in catalogue.names
            if catalogue.schema(catalogue.latest(n)) != expand(n, sources)
        ]
        for name in drifted:
            print(f"{name}: source differs from its latest release")
        return 1 if drifted else 0
    print("usage: python -m schemas.catalogue release NAME... | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
