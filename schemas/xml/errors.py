"""Typed errors of the XML layer; each carries the AppRec error code (kodeverk 8221) to send.

Mapping (STANDARDS §5): unreadable bytes, not well-formed XML, undecodable encodings and any
DTD / entity declaration / external reference (XXE, billion laughs) are ``T01`` — they are not
acceptable XML for these standards, whatever their intent. Inputs over the size or depth limits
are ``T99`` (annen feil på format). An unknown root or standard is ``T10``; schema-invalid input
in strict mode and a header missing what any receipt needs (type, id, date, an identifiable
sender) is ``T02``. The business rules raise ``E10``/``E21``/``E30``/``E31``/``E36``. Details
never contain national ids in clear (see :func:`schemas.xml.identifiers.mask`).
"""

from __future__ import annotations

from schemas.errors import MessageError

__all__ = [
    "BusinessRuleError",
    "ForbiddenXmlError",
    "IncompleteMessageError",
    "InvalidIdentifierError",
    "LimitExceededError",
    "NotWellFormedError",
    "SchemaInvalidError",
    "UnidentifiedSenderError",
    "UnsupportedMessageError",
    "XmlMessageError",
]


class XmlMessageError(MessageError):
    """Root of the errors raised while reading an XML message."""


class NotWellFormedError(XmlMessageError):
    """Not XML, not well-formed, truncated, empty or in an encoding that cannot be decoded."""

    code = "T01"


class ForbiddenXmlError(XmlMessageError):
    """A DOCTYPE, entity declaration or external reference: refused before anything is resolved."""

    code = "T01"


class LimitExceededError(XmlMessageError):
    """The input is larger or nested deeper than :class:`~schemas.xml.safe.ParseLimits` allow."""

    code = "T99"


class UnsupportedMessageError(XmlMessageError):
    """Well-formed XML, but not a message standard samflyt reads (unknown root or namespace)."""

    code = "T10"


class SchemaInvalidError(XmlMessageError):
    """Strict mode only: the message does not validate against its public XSD."""

    code = "T02"


class IncompleteMessageError(XmlMessageError):
    """The header lacks an element without which no message can be identified or answered."""

    code = "T02"


class UnidentifiedSenderError(IncompleteMessageError):
    """The sender is missing or names nobody (no name, no identifier at any level).

    No AppRec can be addressed to nobody (HITS 1168 §5), so the message is dead-lettered without
    one; the detail says so, in words an SRE can search the dead letters for."""

    NO_RECEIPT = "no receipt possible: sender unidentifiable"

    def __init__(self, why: str) -> None:
        super().__init__(f"{self.NO_RECEIPT} ({why})")


class BusinessRuleError(MessageError):
    """A rule of the AppRec standard that makes the receiver reject the message (E-codes)."""


class InvalidIdentifierError(BusinessRuleError):
    """A national id, organisation number, HER-id or HPR-number is malformed; the id is masked."""

    code = "E31"
