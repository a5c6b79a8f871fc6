"""Naming the branch of multi-record unions after a fast decode.

fastavro's ``return_record_name`` reports the record name of every union branch, but costs about as
much again as the decode itself on our large records (it inspects every union on every read). A
decoded record has exactly its schema's field names, so in a union whose record branches have
distinct field-name sets, the keys name the branch. :func:`plan` precomputes, once per schema,
where such unions are; :func:`tag` turns their values into ``(full name, record)`` tuples.
``plan`` returns ``None`` when the shortcut is not safe (ambiguous field sets, such a union inside
an array or map, recursion through one): the codec then asks fastavro for the names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Plan", "definitions", "plan", "tag"]

_NAMED = frozenset({"record", "error", "enum", "fixed"})

# (field name, branch table or None for a plain nested record, nested plan)
Plan = list[tuple[str, dict[frozenset[str], tuple[str, Any]] | None, Any]]


class _Unsafe(Exception):
    pass


def definitions(node: Any, found: dict[str, dict[str, Any]]) -> None:
    """Collect every named type defined in ``node`` into ``found``, by full name."""
    if isinstance(node, list):
        for item in node:
            definitions(item, found)
    elif isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and kind in _NAMED:
            name = node["name"]
            full = (
                name if "." in name or not node.get("namespace") else f"{node['namespace']}.{name}"
            )
            found[full] = node
        for value in node.values():
            if isinstance(value, dict | list):
                definitions(value, found)


class _Planner:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        definitions(schema, self.defs)
        self.active: set[str] = set()

    def resolve(self, node: Any) -> Any:
        while True:
            if isinstance(node, str) and node in self.defs:
                node = self.defs[node]
            elif isinstance(node, dict) and isinstance(node.get("type"), dict | list):
                node = node["type"]
            else:
                return node

    def full(self, record: dict[str, Any]) -> str:
        name: str = record["name"]
        return name if "." in name else f"{record.get('namespace', '')}.{name}".lstrip(".")

    def record(self, record: dict[str, Any]) -> Plan:
        full = self.full(record)
        if full in self.active:
            raise _Unsafe  # a recursive type: let fastavro name the branches
        self.active.add(full)
        steps: Plan = []
        for field in record["fields"]:
            step = self.field(self.resolve(field["type"]))
            if step is not None:
                steps.append((field["name"], *step))
        self.active.discard(full)
        return steps

    def field(self, node: Any) -> tuple[dict[frozenset[str], tuple[str, Any]] | None, Any] | None:
        if isinstance(node, dict) and node.get("type") in ("array", "map"):
            inner = node.get("items", node.get("values"))
            if self.needs_names(self.resolve(inner)):
                raise _Unsafe
            return None
        branches = node if isinstance(node, list) else [node]
        records = [self.resolve(b) for b in branches]
        records = [
            r for r in records if isinstance(r, dict) and r.get("type") in ("record", "error")
        ]
        if not records:
            return None
        if len(records) == 1:
            nested = self.record(records[0])
            return (None, nested) if nested else None
        if any(_is_map(self.resolve(b)) for b in branches):
            raise _Unsafe  # a decoded map could look like one of the records
        table: dict[frozenset[str], tuple[str, Any]] = {}
        for branch in records:
            keys = frozenset(f["name"] for f in branch["fields"])
            if keys in table:
                raise _Unsafe
            table[keys] = (self.full(branch), self.record(branch))
        return table, None

    def needs_names(self, node: Any) -> bool:
        try:
            return self.field(node) is not None
        except _Unsafe:
            return True


def _is_map(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") == "map"


def plan(schema: dict[str, Any]) -> Plan | None:
    """Where ``schema``'s multi-record unions are, or ``None`` when field names cannot tell."""
    planner = _Planner(schema)
    try:
        return planner.record(planner.resolve(schema))
    except _Unsafe:
        return None


def tag(steps: Plan, record: dict[str, Any]) -> None:
    """Replace, in place, each multi-record union value by ``(full name, value)``."""
    for field, table, nested in steps:
        value = record[field]
        if value is None:
            continue
        if table is None:
            tag(nested, value)
            continue
        name, inner = table[frozenset(value)]
        if inner:
            tag(inner, value)
        record[field] = (name, value)
