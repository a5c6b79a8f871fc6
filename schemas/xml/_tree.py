"""Small, fast accessors over an lxml tree in one namespace (Clark-notation tags, cached)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from lxml import etree

Element = etree._Element

_OSLO = ZoneInfo("Europe/Oslo")


class NsReader:
    """Finds children by local name within one namespace; every path step is a direct child.

    One reader serves one message: it indexes each node's children on first use (a single C-level
    pass), so repeated lookups are dictionary hits rather than ElementPath searches.
    """

    __slots__ = ("_index", "_tags", "ns")

    def __init__(self, ns: str, tags: dict[str, str] | None = None) -> None:
        self.ns = ns
        self._tags: dict[str, str] = {} if tags is None else tags
        self._index: dict[Element, dict[str, Element]] = {}

    def tag(self, local: str) -> str:
        try:
            return self._tags[local]
        except KeyError:
            clark = f"{{{self.ns}}}{local}" if self.ns else local
            self._tags[local] = clark
            return clark

    def kids(self, node: Element) -> dict[str, Element]:
        index = self._index.get(node)
        if index is None:
            index = {}
            for kid in node:
                tag = kid.tag
                if tag not in index and isinstance(tag, str):
                    index[tag] = kid
            self._index[node] = index
        return index

    def el(self, parent: Element | None, *path: str) -> Element | None:
        node = parent
        for local in path:
            if node is None:
                return None
            node = self.kids(node).get(self.tag(local))
        return node

    def all(self, parent: Element | None, local: str) -> list[Element]:
        if parent is None:
            return []
        return list(parent.iterchildren(self.tag(local)))

    def text(self, parent: Element | None, *path: str) -> str | None:
        return text_of(self.el(parent, *path))

    def v(self, parent: Element | None, *path: str) -> str | None:
        """The ``V`` attribute (code value) of the element at ``path``; ``S`` is never trusted."""
        node = self.el(parent, *path)
        if node is None:
            return None
        value = node.get("V")
        return value.strip() or None if value is not None else None


@lru_cache(maxsize=256)
def _shared_tags(ns: str) -> dict[str, str]:
    return {}


def reader(ns: str) -> NsReader:
    """A fresh reader for one message (tag names are shared, child indexes are not)."""
    return NsReader(ns, _shared_tags(ns))


def text_of(node: Element | None) -> str | None:
    if node is None:
        return None
    value = node.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def all_text(node: Element | None) -> str | None:
    """All descendant text (for XHTML result values), whitespace-normalised."""
    if node is None:
        return None
    value = " ".join("".join(str(t) for t in node.itertext()).split())
    return value or None


def split_tag(tag: object) -> tuple[str, str]:
    """(namespace, local name) of a Clark-notation tag; ('', '') for non-element nodes."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def first_element_child(node: Element | None) -> Element | None:
    if node is None:
        return None
    for kid in node:
        if isinstance(kid.tag, str):
            return kid
    return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 as written in the messages; naive times are Norwegian local time."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_OSLO)
    return parsed
