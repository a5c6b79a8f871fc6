"""Small, fast accessors over an lxml tree (Clark-notation tags).

Extraction cost is dominated by Python-level work per element, not by libxml2: every child
visited creates a proxy object, and every ``find``/``iterchildren(tag)``/XPath call has a fixed
set-up cost of a few microseconds. So the readers index each node they need exactly once
(:func:`kids`: one pass over its children into a dictionary, first child per tag) and then take
every field of that node from the dictionary. Repeated children (``Ident``, ``CopyDest``…) are
collected in the same pass (:func:`kids_and_all`). Every path step is a direct child, and when a
tag repeats where one is expected the first one wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from typing import cast
from zoneinfo import ZoneInfo

from lxml import etree

Element = etree._Element
Index = dict[str, Element]

_OSLO = ZoneInfo("Europe/Oslo")
NO_KIDS: Index = {}  # shared, never written to: the index of a missing node


def kids(node: Element | None) -> Index:
    """The first child of ``node`` per tag; an empty index for a missing node."""
    if node is None:
        return NO_KIDS
    index: Index = {}
    for kid in node:
        tag = kid.tag
        if tag not in index:
            index[tag] = kid
    return index


def kids_and_all(node: Element | None, many: str) -> tuple[Index, list[Element]]:
    """:func:`kids` plus every child tagged ``many``, in document order, from the same pass."""
    if node is None:
        return NO_KIDS, []
    index: Index = {}
    found: list[Element] = []
    for kid in node:
        tag = kid.tag
        if tag == many:
            found.append(kid)
        if tag not in index:
            index[tag] = kid
    return index, found


def first_kid(node: Element | None, tag: str) -> Element | None:
    """The first child of ``node`` tagged ``tag`` (stops there, builds no index)."""
    if node is None:
        return None
    for kid in node:
        if kid.tag == tag:
            return kid
    return None


def two_kids(node: Element, first: str, second: str) -> tuple[Element | None, Element | None]:
    """The first child tagged ``first`` and the first tagged ``second`` (e.g. ``Id``/``TypeId``)."""
    a: Element | None = None
    b: Element | None = None
    for kid in node:
        tag = kid.tag
        if tag == first:
            if a is None:
                a = kid
        elif tag == second and b is None:
            b = kid
    return a, b


def v_of(node: Element | None) -> str | None:
    """The stripped ``V`` attribute of ``node``; None when missing or blank."""
    if node is None:
        return None
    value = node.get("V")
    if value is None:
        return None
    return value.strip() or None


def text_at(index: Index, tag: str) -> str | None:
    """Stripped text of the child ``tag``; None when missing or blank."""
    node = index.get(tag)
    if node is None:
        return None
    value = node.text
    if value is None:
        return None
    return value.strip() or None


# written by some lab systems where a reference has no value (``<ServReq><Id>NULL</Id>``): as an
# id it would tie every such message to one fictitious document
_NO_ID = frozenset({"NULL"})


def id_at(index: Index, tag: str) -> str | None:
    """:func:`text_at` for a document or message reference; a placeholder for none is None."""
    value = text_at(index, tag)
    if value is None or value.upper() in _NO_ID:
        return None
    return value


def v_at(index: Index, tag: str) -> str | None:
    """The ``V`` attribute (code value) of the child ``tag``; ``S`` is never trusted."""
    node = index.get(tag)
    if node is None:
        return None
    value = node.get("V")
    if value is None:
        return None
    return value.strip() or None


class TagTable(dict[str, str]):
    """Clark-notation tag of each local name in one namespace, built on first use."""

    __slots__ = ("_prefix",)

    def __init__(self, ns: str) -> None:
        super().__init__()
        self._prefix = f"{{{ns}}}" if ns else ""

    def __missing__(self, local: str) -> str:
        tag = self._prefix + local
        self[local] = tag
        return tag


@lru_cache(maxsize=256)
def tags(ns: str) -> TagTable:
    """The shared tag table of ``ns``."""
    return TagTable(ns)


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
    # parsed from bytes, lxml yields text as str (the stubs also allow bytes)
    value = " ".join("".join(cast("Iterator[str]", node.itertext())).split())
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


_LOOSE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def iso_date(value: str | None) -> str | None:
    """A calendar date as ISO ``YYYY-MM-DD``; senders also write ``1991-12-4`` (not an
    xs:date) or a date-time. Anything not read as a date is kept as written."""
    if not value:
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # YYYY-MM-DD, the common case
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    found = _LOOSE_DATE.match(value)
    if found is None:
        return value
    try:
        return date(*(int(part) for part in found.groups())).isoformat()
    except ValueError:
        return value


_XS_DATE_TIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def keep_as_sent(
    body: dict[str, str],
    type_node: Element | None,
    msg_type: str,
    gen_date: str | None,
    generated: datetime,
) -> None:
    """Keep the message type and generation time as the sender wrote them where reading them
    changed them, for the receipt's ``OriginalMsgId``, which repeats them: NAV's service types
    are mixed case (``EgenandelForesporsel``), and a GenDate may have no offset or more than
    six decimals. A type read from elsewhere (a legacy code, a swapped ``DN``) is not kept."""
    sent_type = (type_node.get("V") or "").strip() if type_node is not None else ""
    if sent_type != msg_type and sent_type.upper() == msg_type:
        body["msg_type_as_sent"] = sent_type
    if gen_date and gen_date != generated.isoformat() and _XS_DATE_TIME.fullmatch(gen_date):
        body["gen_date_as_sent"] = gen_date  # only an xs:dateTime: the receipt must validate


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
