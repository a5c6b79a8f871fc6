"""Hardened parsing of untrusted XML bytes.

One configuration for every message: no DTD is loaded or validated, no entity is resolved,
nothing external (file or network) is ever opened — every external subset, entity or include
resolves to nothing —, comments and processing instructions are dropped, XInclude is never
processed (nothing here calls ``xinclude()``), and any DOCTYPE is refused after the parse, as
libxml2 found it (whatever the encoding, wherever in the prolog). Input size is checked before
parsing and element depth right after (libxml2's own guards stop pathological nesting and
entity amplification during the parse). Bytes are parsed as bytes so the XML declaration and
any BOM decide the encoding, as the standards require.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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


class _NothingExternal(etree.Resolver):
    """Every external DTD subset, entity or include a document names resolves to nothing.

    ``load_dtd=False`` and ``resolve_entities=False`` do not stop libxml2 from opening a local
    file named by an external parameter entity or external subset in a DOCTYPE: it read the
    file (an existence oracle through the error text) or blocked on a FIFO before the DOCTYPE
    was refused. Nothing is opened now; the DOCTYPE is refused after the parse."""

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        return self.resolve_string("", context, base_url=None)


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
        parser.resolvers.add(_NothingExternal())
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


_RESOURCE_LIMIT: int = etree.ErrorTypes.ERR_RESOURCE_LIMIT


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
    # A DOCTYPE is refused after the parse, from what libxml2 found (a scan of the bytes both
    # missed declarations, e.g. in UTF-16 or after a long comment, and refused messages that
    # merely contain the text, e.g. an HTML attachment in a CDATA section). The parse itself is
    # safe: nothing external is opened, no entity is substituted, libxml2 bounds expansion.
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        # told apart by libxml2's error code, not by words of a message that may quote the
        # input (a mismatched tag named "depth" is not over a limit)
        if getattr(exc, "code", None) == _RESOURCE_LIMIT:
            if "entity" in str(exc).lower():  # only entities a DOCTYPE declares expand at all
                raise ForbiddenXmlError("DOCTYPE or entity declarations are not allowed") from None
            raise LimitExceededError(f"over the parser's limits: {_clean(str(exc))}") from None
        raise NotWellFormedError(f"not well-formed XML: {_clean(str(exc))}") from None
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
