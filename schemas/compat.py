"""Backward compatibility of Avro schemas: can a reader schema read data written with a writer?

Implements the resolution rules of the Avro specification ("Schema Resolution"):

* primitives match when equal or promotable: int → long, float, double; long → float, double;
  float → double; string ↔ bytes;
* records match by name (the reader's name or one of its aliases equals the writer's name, full or
  unqualified); a reader field is found in the writer by name or by one of the field's aliases; a
  reader field the writer lacks needs a default; writer fields the reader lacks are skipped;
* enums match by name; a writer symbol the reader lacks needs a reader default symbol;
* fixed types match by name and size; arrays by items; maps by values;
* a writer union is readable when every branch is; a reader union reads a non-union writer with
  its first matching branch (an exact match is preferred over a promotion).

One rule is stricter than the specification: a changed logical type (or a changed decimal
precision/scale) is reported, because the bytes would still decode but mean something else.
Recursive types are handled. Schemas are JSON values as in ``.avsc`` files.
"""

from __future__ import annotations

from typing import Any

__all__ = ["incompatibilities", "is_backward_compatible"]

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_TERMINAL = _PRIMITIVES | _NAMED | {"array", "map"}
_PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)

Schema = Any
_Node = tuple[Schema, str | None]  # a schema node and its enclosing namespace


def _full(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _own_namespace(node: dict[str, Any], enclosing: str | None) -> str | None:
    name: str = node["name"]
    if "." in name:
        return name.rsplit(".", 1)[0]
    namespace: str | None = node.get("namespace", enclosing)
    return namespace


class _Names:
    """The named types defined in one schema, by full name, with their namespaces."""

    def __init__(self, schema: Schema) -> None:
        self.defs: dict[str, _Node] = {}
        self._collect(schema, None)

    def _collect(self, node: Schema, namespace: str | None) -> None:
        if isinstance(node, list):
            for branch in node:
                self._collect(branch, namespace)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind in _NAMED:
                own = _own_namespace(node, namespace)
                self.defs[_full(node["name"], own)] = (node, own)
                for field in node.get("fields", ()):
                    self._collect(field["type"], own)
            elif kind == "array":
                self._collect(node["items"], namespace)
            elif kind == "map":
                self._collect(node["values"], namespace)
            elif isinstance(kind, dict | list):
                self._collect(kind, namespace)

    def resolve(self, node: Schema, namespace: str | None) -> _Node:
        """Follow references and ``{"type": <schema>}`` wrappers down to a definition."""
        for _ in range(len(self.defs) + 8):
            if isinstance(node, str) and node not in _PRIMITIVES:
                found = self.defs.get(_full(node, namespace)) or self.defs.get(node)
                if found is None:
                    raise ValueError(f"unknown type {node!r}")
                node, namespace = found
            elif isinstance(node, dict) and node["type"] not in _TERMINAL:
                node = node["type"]
            else:
                return node, namespace
        raise ValueError("reference cycle without a definition")


def _kind(node: Schema) -> str:
    if isinstance(node, list):
        return "union"
    if isinstance(node, str):
        return node
    kind: str = node["type"]
    return "record" if kind == "error" else kind


def _label(node: Schema, namespace: str | None) -> str:
    kind = _kind(node)
    if kind in ("record", "enum", "fixed"):
        return f"{kind} {_full(node['name'], _own_namespace(node, namespace))}"
    return kind


def _names_match(reader: _Node, writer: _Node) -> bool:
    (r, rns), (w, wns) = reader, writer
    writer_full = _full(w["name"], _own_namespace(w, wns))
    reader_ns = _own_namespace(r, rns)
    accepted = {_full(r["name"], reader_ns)} | {_full(a, reader_ns) for a in r.get("aliases", ())}
    if writer_full in accepted:
        return True
    return _short(writer_full) in {_short(name) for name in accepted}


def _logical(node: Schema) -> tuple[Any, ...]:
    if not isinstance(node, dict):
        return (None,)
    return (node.get("logicalType"), node.get("precision"), node.get("scale"))


class _Checker:
    def __init__(self, reader: Schema, writer: Schema) -> None:
        self.readers = _Names(reader)
        self.writers = _Names(writer)
        self.problems: list[str] = []
        self._in_progress: set[tuple[int, int]] = set()

    def shallow_match(self, reader: _Node, writer: _Node, *, promote: bool) -> bool:
        rk, wk = _kind(reader[0]), _kind(writer[0])
        if rk in _PRIMITIVES and wk in _PRIMITIVES:
            return rk == wk or (promote and (wk, rk) in _PROMOTIONS)
        if rk != wk:
            return False
        if rk in ("record", "enum"):
            return _names_match(reader, writer)
        if rk == "fixed":
            return _names_match(reader, writer) and reader[0]["size"] == writer[0]["size"]
        return rk in ("array", "map")

    def pick_branch(self, branches: list[Schema], rns: str | None, writer: _Node) -> _Node | None:
        resolved = [self.readers.resolve(b, rns) for b in branches]
        for promote in (False, True):
            for branch in resolved:
                if self.shallow_match(branch, writer, promote=promote):
                    return branch
        return None

    def check(self, reader: _Node, writer: _Node, path: str) -> None:
        r, rns = reader = self.readers.resolve(*reader)
        w, wns = writer = self.writers.resolve(*writer)
        if _kind(w) == "union":
            for branch in w:
                node = self.writers.resolve(branch, wns)
                self.check(reader, node, f"{path}<{_label(*node)}>")
            return
        if _kind(r) == "union":
            chosen = self.pick_branch(r, rns, writer)
            if chosen is None:
                self.problems.append(f"{path}: reader union has no branch for {_label(w, wns)}")
            else:
                self.check(chosen, writer, path)
            return
        if not self.shallow_match(reader, writer, promote=True):
            self.problems.append(f"{path}: {_label(w, wns)} cannot be read as {_label(r, rns)}")
            return
        if _logical(r) != _logical(w):
            self.problems.append(f"{path}: logical type {_logical(w)} changed to {_logical(r)}")
        kind = _kind(r)
        if kind == "record":
            self.check_record(reader, writer, path)
        elif kind == "enum":
            missing = [s for s in w["symbols"] if s not in r["symbols"]]
            if missing and "default" not in r:
                self.problems.append(f"{path}: enum symbols {missing} removed and no default")
        elif kind == "array":
            self.check((r["items"], rns), (w["items"], wns), f"{path}[]")
        elif kind == "map":
            self.check((r["values"], rns), (w["values"], wns), f"{path}{{}}")

    def check_record(self, reader: _Node, writer: _Node, path: str) -> None:
        key = (id(reader[0]), id(writer[0]))
        if key in self._in_progress:  # a recursive type already being compared
            return
        self._in_progress.add(key)
        (r, rns), (w, wns) = reader, writer
        rns, wns = _own_namespace(r, rns), _own_namespace(w, wns)
        written = {f["name"]: f for f in w["fields"]}
        for field in r["fields"]:
            names = [field["name"], *field.get("aliases", ())]
            source = next((written[n] for n in names if n in written), None)
            where = f"{path}.{field['name']}"
            if source is None:
                if "default" not in field:
                    self.problems.append(f"{where}: field added without a default")
                continue
            self.check((field["type"], rns), (source["type"], wns), where)
        self._in_progress.discard(key)


def incompatibilities(*, reader: Schema, writer: Schema) -> list[str]:
    """Every reason ``reader`` cannot read data written with ``writer``; empty when it can."""
    checker = _Checker(reader, writer)
    try:
        root = checker.readers.resolve(reader, None)
        checker.check(root, (writer, None), _label(*root).split(" ")[-1])
    except (KeyError, TypeError, ValueError) as exc:
        return [f"malformed schema: {exc!r}"]
    return checker.problems


def is_backward_compatible(new: Schema, old: Schema) -> bool:
    """True when a reader with schema ``new`` can read every datum written with ``old``."""
    return not incompatibilities(reader=new, writer=old)
