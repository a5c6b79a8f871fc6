"""The one entry point from bytes to :class:`ParsedMessage`."""

from __future__ import annotations

from schemas.errors import MessageError
from schemas.model import ParsedMessage
from schemas.xml._tree import Element, split_tag
from schemas.xml.apprec_read import read_apprec
from schemas.xml.catalog import APPREC_NS, FELLESFORMAT_NAMESPACES, MESSAGE_NS, MSGHEAD_NS
from schemas.xml.errors import IncompleteMessageError, UnsupportedMessageError
from schemas.xml.message import read_message
from schemas.xml.msghead import read_msghead
from schemas.xml.safe import ParseLimits, parse_bytes

__all__ = ["NOT_SCHEMA_VALIDATED", "parse_message"]

# body key: the carried documents strict mode could not check for want of a public schema
NOT_SCHEMA_VALIDATED = "not_schema_validated"


def parse_message(
    data: bytes, *, limits: ParseLimits | None = None, strict: bool = False
) -> ParsedMessage:
    """Parse one incoming message (MsgHead, ``Message``-rooted standard, AppRec, NAV wrapper).

    Lenient by design: a message that breaks the business rules (bad MsgId, unidentified
    patient…) still parses, so that a receipt can be addressed; see
    :func:`schemas.xml.rules.check_business_rules`. Raises only :class:`MessageError`
    subclasses: T01 unreadable/forbidden XML, T99 over the limits, T10 unsupported standard,
    T02 schema-invalid (``strict=True``) or missing the header elements every receipt needs.
    In strict mode a carried document without a vendored schema is named in the body under
    :data:`NOT_SCHEMA_VALIDATED`, the rest of the message validated.
    """
    try:
        return _parse(data, limits=limits, strict=strict)
    except MessageError:
        raise
    except Exception as exc:  # a structure no reader foresaw must not crash the worker
        raise IncompleteMessageError(
            f"message structure could not be read ({type(exc).__name__})"
        ) from exc


_MSGHEAD_TAG = f"{{{MSGHEAD_NS}}}MsgHead"


def _parse(data: bytes, *, limits: ParseLimits | None, strict: bool) -> ParsedMessage:
    root = parse_bytes(data, limits)
    if not strict and root.tag == _MSGHEAD_TAG:  # the common case, without splitting the tag
        return read_msghead(root, data)
    ns, local = split_tag(root.tag)
    wrapped = False
    if ns in FELLESFORMAT_NAMESPACES and local == "EI_fellesformat":
        inner = _unwrap(root)
        if inner is None:
            raise UnsupportedMessageError("EI_fellesformat without a MsgHead or AppRec")
        root, wrapped = inner, True
        ns, local = split_tag(root.tag)
    unchecked: tuple[str, ...] = ()
    if strict:
        from schemas.xml.xsd import validate  # compiled schemas load only when asked for

        unchecked = validate(root)
    if local == "MsgHead" and ns == MSGHEAD_NS:
        msg = read_msghead(root, data)
    elif local == "Message" and ns in MESSAGE_NS:
        msg = read_message(root, ns, data)
    elif local == "AppRec" and ns in APPREC_NS:
        msg = read_apprec(root, ns, data)
    else:
        raise UnsupportedMessageError(f"unsupported message root {{{ns}}}{local}")
    if wrapped:
        msg.body["wrapper"] = "EI_fellesformat"
    if unchecked:
        msg.body[NOT_SCHEMA_VALIDATED] = " ".join(unchecked)
    return msg


def _unwrap(root: Element) -> Element | None:
    for kid in root:
        ns, local = split_tag(kid.tag)
        if (local == "MsgHead" and ns == MSGHEAD_NS) or (local == "AppRec" and ns in APPREC_NS):
            return kid
    return None
