"""Strict mode: validation against the public XSDs vendored in :mod:`schemas.xsd`.

The official schemas import one another by bare file name or by URL on kith.no / w3.org, and
the official catalogue names the AppRec 1.1 file with the wrong case (STANDARDS §8.8). A resolver
maps every import to the vendored file by its base name, case-insensitively, so nothing is ever
fetched from the network.

A document is validated against a small generated driver schema that imports the schema of
every namespace its elements use: the root's, the documents carried in ``Content`` (MsgHead's
and a ``RefDoc``'s, both strict wildcards) and what those embed, such as a Base64Container
attachment. A carried document whose namespace has no vendored schema is not refused for that:
the driver declares it as content to skip, the rest is validated, and :func:`validate` names
the documents it could not check. Compiled schemas are cached per set of namespaces.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
_XS = "http://www.w3.org/2001/XMLSchema"
_UNCHECKED_FILE = "samflyt-unchecked-{}.xsd"  # generated, never a vendored file's name


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
    """Vendored files by base name; the driver's generated schemas by their own names."""

    def __init__(self, generated: dict[str, bytes]) -> None:
        super().__init__()
        self._generated = generated

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        if not system_url:
            return None
        name = system_url.replace("\\", "/").rsplit("/", 1)[-1].lower()
        own = self._generated.get(name)
        if own is not None:
            return self.resolve_string(own, context, base_url=str(schema_dir() / name))
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


def _xs(parent: Any, local: str, **attributes: str) -> Any:
    return etree.SubElement(parent, f"{{{_XS}}}{local}", attributes)


def _unchecked_schema(namespace: str, locals_: tuple[str, ...]) -> bytes:
    """A schema declaring ``locals_`` in ``namespace`` as elements whose content is skipped."""
    schema = etree.Element(f"{{{_XS}}}schema", targetNamespace=namespace, nsmap={"xs": _XS})
    for local in locals_:
        kind = _xs(_xs(schema, "element", name=local), "complexType", mixed="true")
        sequence = _xs(kind, "sequence")
        _xs(sequence, "any", processContents="skip", minOccurs="0", maxOccurs="unbounded")
        _xs(kind, "anyAttribute", processContents="skip")
    return bytes(etree.tostring(schema))


def _driver(
    namespaces: tuple[str, ...], unchecked: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[bytes, dict[str, bytes]]:
    """The driver schema and the generated schemas it imports for ``unchecked`` documents."""
    by_ns = _files()[1]
    driver = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    for ns in namespaces:
        _xs(driver, "import", namespace=ns, schemaLocation=by_ns[ns].name)
    generated: dict[str, bytes] = {}
    for index, (ns, locals_) in enumerate(unchecked):
        name = _UNCHECKED_FILE.format(index)
        generated[name] = _unchecked_schema(ns, locals_)
        _xs(driver, "import", namespace=ns, schemaLocation=name)
    return bytes(etree.tostring(driver)), generated


@lru_cache(maxsize=64)
def _schema(
    namespaces: tuple[str, ...], unchecked: tuple[tuple[str, tuple[str, ...]], ...]
) -> etree.XMLSchema:
    driver, generated = _driver(namespaces, unchecked)
    parser = _xsd_parser(_Resolver(generated))
    doc = etree.fromstring(driver, parser, base_url=str(schema_dir()) + "/")
    return etree.XMLSchema(doc)


def _namespace(node: Element) -> str:
    return split_tag(node.tag)[0]


def _used_namespaces(root: Element) -> list[str]:
    """Every namespace an element of the document is in, the root's first."""
    seen: dict[str, None] = {}
    for node in root.iter():
        if isinstance(node.tag, str):
            seen.setdefault(_namespace(node))
    return list(seen)


def _carried_documents(root: Element) -> Iterator[Element]:
    """The documents in every ``Content``: MsgHead's, or a ``RefDoc``'s of the root's own
    namespace (Svarrapport, Epikrise, Henvisning 1.x and Rekvisisjon carry attachments so)."""
    contents = {f"{{{MSGHEAD_NS}}}Content", f"{{{_namespace(root)}}}Content"}
    for content in root.iter(*contents):
        for kid in content:
            if isinstance(kid.tag, str):
                yield kid


def _unchecked(root: Element, known: dict[str, Path]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The carried documents without a vendored schema: (namespace, root names) pairs."""
    found: dict[str, set[str]] = {}
    for document in _carried_documents(root):
        ns, local = split_tag(document.tag)
        if ns not in known:
            found.setdefault(ns, set()).add(local)
    return tuple((ns, tuple(sorted(found[ns]))) for ns in sorted(found))


def validate(root: Element) -> tuple[str, ...]:
    """Raise :class:`SchemaInvalidError` (T02) unless ``root`` validates against its XSDs.

    Returns the carried documents that could not be checked for want of a schema, as
    ``{namespace}Name``; a root without a schema is :class:`UnsupportedMessageError` (T10).
    """
    known = _files()[1]
    namespaces = _used_namespaces(root)
    if namespaces[0] not in known:
        raise UnsupportedMessageError(f"no schema for namespace {namespaces[0]}")
    unchecked = _unchecked(root, known)
    with_schema = tuple(ns for ns in namespaces if ns in known)
    with _lock:  # compiled schemas are shared; libxml2 validation contexts are not
        schema = _schema(with_schema, unchecked)
        try:
            schema.assertValid(root)
        except etree.DocumentInvalid as exc:
            detail = " ".join(str(exc).split())[:300]
            raise SchemaInvalidError(f"schema-invalid: {detail}") from None
    return tuple(f"{{{ns}}}{local}" for ns, locals_ in unchecked for local in locals_)
