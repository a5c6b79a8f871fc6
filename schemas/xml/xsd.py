"""Strict mode: validation against the public XSDs vendored in :mod:`schemas.xsd`.

The official schemas import one another by bare file name or by URL on kith.no / w3.org, and
the official catalogue names the AppRec 1.1 file with the wrong case (STANDARDS §8.8). A resolver
maps every import to the vendored file by its base name, case-insensitively, so nothing is ever
fetched from the network. A MsgHead's payload is validated by a small generated driver schema
that imports MsgHead and the payload's own schema (its content is a strict wildcard). Compiled
schemas are cached per (root namespace, payload namespace).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from schemas.xml._tree import Element, first_element_child, split_tag
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
    imports = []
    for ns in namespaces:
        path = by_ns.get(ns)
        if path is None:
            raise UnsupportedMessageError(f"no schema for namespace {ns}")
        imports.append(f'<xs:import namespace="{ns}" schemaLocation="{path.name}"/>')
    head = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    return (head + "".join(imports) + "</xs:schema>").encode()


@lru_cache(maxsize=64)
def _schema(namespaces: tuple[str, ...]) -> etree.XMLSchema:
    parser = _xsd_parser(_Resolver())
    doc = etree.fromstring(_driver(namespaces), parser, base_url=str(schema_dir()) + "/")
    return etree.XMLSchema(doc)


def _namespaces(root: Element) -> tuple[str, ...]:
    ns, _ = split_tag(root.tag)
    if ns != MSGHEAD_NS:
        return (ns,)
    found: list[str] = [ns]
    for content in root.iter(f"{{{MSGHEAD_NS}}}Content"):
        payload = first_element_child(content)
        if payload is not None:
            payload_ns = split_tag(payload.tag)[0]
            if payload_ns not in found:
                found.append(payload_ns)
    return tuple(found)


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
