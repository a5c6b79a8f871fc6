"""Hardened parsing of untrusted XML bytes.

One configuration for every message: no DTD is loaded or validated, no entity is resolved, no
network is used, comments and processing instructions are dropped, XInclude is never processed
(nothing here calls ``xinclude()``), and any DOCTYPE is refused outright. Input size is checked
before parsing and element depth right after (libxml2's own depth guard stops pathological
nesting during the parse). Bytes are parsed as bytes so the XML declaration and any BOM decide
the encoding, as the standards require.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from schemas.xml.errors import ForbiddenXmlError, LimitExceededError, NotWellFormedError

__all__ = ["DEFAULT_LIMITS", "ParseLimits", "parse_bytes"]


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds on one input: ``max_bytes`` of raw input, ``max_depth`` element nesting levels."""

    max_bytes: int = 20 * 1024 * 1024
    max_depth: int = 100


DEFAULT_LIMITS = ParseLimits()

_local = threading.local()  # lxml parsers must not be shared between threads


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
            recover=False,
        )
        _local.parser = parser
    return parser


@lru_cache(maxsize=8)
def _has_level(level: int) -> etree.XPath:
    # true when an element exists at depth ``level`` (the root is level 1); evaluated level by
    # level in C, at a small fixed cost per level even where a level is already empty
    return etree.XPath("boolean(" + "/*" * level + ")", regexp=False)


# Real messages are at most 12-15 levels deep: probing this level first settles almost every
# input with a short expression; only deeper documents are probed at the limit itself.
_PROBE_LEVEL = 20


def _too_deep(root: etree._Element, max_depth: int) -> bool:
    """True when an element exists at depth ``max_depth + 1``."""
    limit = max_depth + 1
    if limit > _PROBE_LEVEL and not _has_level(_PROBE_LEVEL)(root):
        return False  # nothing at the probe level, so nothing below it either
    return bool(_has_level(limit)(root))


_HEAD = 65536  # declarations must come before the root element: look at the start only
# "<!DOCTYPE", "<!ENTITY" or "<!doctype" within the first _HEAD bytes, found as the rarer "!..."
# (a fast byte scan) and then checked for the "<" before it
_MARKER_TAIL = re.compile(rb"!(?:DOCTYPE|ENTITY|doctype)")


def _declares_doctype(data: bytes) -> bool:
    """True when a DOCTYPE or ENTITY declaration marker lies wholly within the first bytes."""
    start = data.find(b"!", 1, _HEAD)  # most messages have no "!" at all
    if start < 0:
        return False
    found = _MARKER_TAIL.search(data, start, _HEAD)
    while found is not None:
        if data[found.start() - 1] == 0x3C:  # "<"
            return True
        found = _MARKER_TAIL.search(data, found.start() + 1, _HEAD)
    return False


def parse_bytes(data: bytes, limits: ParseLimits | None = None) -> etree._Element:
    """Parse ``data`` into an element tree, or raise a typed :class:`XmlMessageError`.

    Raises :class:`NotWellFormedError` (T01) for anything that is not well-formed XML,
    :class:`ForbiddenXmlError` (T01) for a DOCTYPE or entity declaration and
    :class:`LimitExceededError` (T99) when the input is too large or too deep.
    """
    lim = limits or DEFAULT_LIMITS
    if not isinstance(data, bytes):
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        else:
            raise NotWellFormedError("input is not bytes")
    if len(data) > lim.max_bytes:
        raise LimitExceededError(f"input of {len(data)} bytes exceeds the limit of {lim.max_bytes}")
    if not data or data.isspace():  # as ``not data.strip()``, without copying the input
        raise NotWellFormedError("input is empty")
    # cheap early refusal for ASCII-compatible encodings; the docinfo check below covers the rest
    if _declares_doctype(data):
        raise ForbiddenXmlError("DOCTYPE or entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "depth" in text.lower() or "huge" in text.lower():
            raise LimitExceededError("element nesting exceeds the parser's limit") from None
        if "entity" in text.lower() and "doctype" in text.lower():
            raise ForbiddenXmlError("DOCTYPE or entity declarations are not allowed") from None
        raise NotWellFormedError(f"not well-formed XML: {_clean(text)}") from None
    except (etree.LxmlError, ValueError, LookupError, UnicodeError) as exc:
        raise NotWellFormedError(f"not readable as XML: {_clean(str(exc))}") from None
    if root is None:
        raise NotWellFormedError("no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ForbiddenXmlError("DOCTYPE or entity declarations are not allowed")
    if _too_deep(root, lim.max_depth):
        raise LimitExceededError(f"element nesting exceeds {lim.max_depth} levels")
    return root


def _clean(text: str) -> str:
    # libxml2 messages may quote input; keep them short and single-line
    return " ".join(text.split())[:200]
