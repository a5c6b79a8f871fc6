"""Strict mode: validation against the public XSDs vendored in :mod:`schemas.xsd`.

The official schemas import one another by bare file name or by URL on kith.no / w3.org, and
the official catalogue names the AppRec 1.1 file with the wrong case (STANDARDS §8.8). A resolver
maps every import to the vendored file by its base name, case-insensitively, so nothing is ever
fetched from the network. A document is validated by a small generated driver schema that
imports the schema of every namespace its elements use: the root's, a MsgHead payload's (MsgHead
``Content`` is a strict wildcard), and what the documents embed, such as a Base64Container
attachment in a Svarrapport's ``RefDoc``. Compiled schemas are cached per set of namespaces.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from schemas.xml._tree import Element, split_tag
from schemas.xml.catalog import MSGHEAD_NS
from schemas.xml.errors import SchemaInvalidError, UnsupportedMessageError

__all__ = ["schema_dir", "validate"]

_lock = threading.Lock()


def schema_dir() -> Path:
    return Path(str(resources.files("schemas") / "xsd"))


@lru_cache(maxsize=1)
def _files() -> tuple[dict[str, Path], dict[str, Path]]:
    """(base name lower-cased → file, target namespace → file)."""
    by_name: dict[str, Path] = {}
    by_ns: dict[str, Path] = {}
    for path in sorted(schema_dir().rglob("*.xsd")):
        by_name.setdefault(path.name.lower(), path)
        try:
            root = etree.parse(str(path), _xsd_parser(None)).getroot()
        except etree.XMLSyntaxError:
            continue
        target = root.get("targetNamespace")
        if target:
            by_ns[target] = path  # later (newer) files of one namespace win
    return by_name, by_ns


class _Resolver(etree.Resolver):
    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        if not system_url:
            return None
        name = system_url.replace("\\", "/").rsplit("/", 1)[-1].lower()
        path = _files()[0].get(name)
        if path is None:
            return None
        return self.resolve_string(path.read_bytes(), context, base_url=str(path))


def _xsd_parser(resolver: etree.Resolver | None) -> etree.XMLParser:
    # our own vendored files: DTD-bearing W3C schemas are read without loading the DTD
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    if resolver is not None:
        parser.resolvers.add(resolver)
    return parser


def _driver(namespaces: tuple[str, ...]) -> bytes:
    by_ns = _files()[1]
    imports = [
        f'<xs:import namespace="{ns}" schemaLocation="{by_ns[ns].name}"/>' for ns in namespaces
    ]
    head = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    return (head + "".join(imports) + "</xs:schema>").encode()


@lru_cache(maxsize=64)
def _schema(namespaces: tuple[str, ...]) -> etree.XMLSchema:
    parser = _xsd_parser(_Resolver())
    doc = etree.fromstring(_driver(namespaces), parser, base_url=str(schema_dir()) + "/")
    return etree.XMLSchema(doc)


def _namespace(node: Element) -> str:
    return split_tag(node.tag)[0]


def _namespaces(root: Element) -> tuple[str, ...]:
    """The namespaces to import: every one an element of the document is in that has a
    vendored schema (a Base64Container in a ``RefDoc``, a signature), the root's first. The
    root and the documents carried in a MsgHead must have one."""
    by_ns = _files()[1]
    required = [_namespace(root)]
    if required[0] == MSGHEAD_NS:
        for content in root.iter(f"{{{MSGHEAD_NS}}}Content"):
            required.extend(_namespace(kid) for kid in content if isinstance(kid.tag, str))
    for ns in required:
        if ns not in by_ns:
            raise UnsupportedMessageError(f"no schema for namespace {ns}")
    used: dict[str, None] = {}
    for node in root.iter():
        if isinstance(node.tag, str):
            used.setdefault(_namespace(node))
    return tuple(ns for ns in used if ns in by_ns)


def validate(root: Element) -> None:
    """Raise :class:`SchemaInvalidError` (T02) unless ``root`` validates against its XSDs."""
    namespaces = _namespaces(root)
    with _lock:  # compiled schemas are shared; libxml2 validation contexts are not
        schema = _schema(namespaces)
        try:
            schema.assertValid(root)
        except etree.DocumentInvalid as exc:
            detail = " ".join(str(exc).split())[:300]
            raise SchemaInvalidError(f"schema-invalid: {detail}") from None
