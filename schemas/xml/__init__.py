"""XML layer: safe parsing, extraction into :class:`~schemas.model.ParsedMessage`, identifier
checks, AppRec business rules and receipts, strict XSD validation."""

from schemas.xml.errors import (
    BusinessRuleError,
    ForbiddenXmlError,
    IncompleteMessageError,
    InvalidIdentifierError,
    LimitExceededError,
    NotWellFormedError,
    SchemaInvalidError,
    UnsupportedMessageError,
    XmlMessageError,
)
from schemas.xml.parse import parse_message
from schemas.xml.safe import DEFAULT_LIMITS, ParseLimits

__all__ = [
    "DEFAULT_LIMITS",
    "BusinessRuleError",
    "ForbiddenXmlError",
    "IncompleteMessageError",
    "InvalidIdentifierError",
    "LimitExceededError",
    "NotWellFormedError",
    "ParseLimits",
    "SchemaInvalidError",
    "UnsupportedMessageError",
    "XmlMessageError",
    "parse_message",
]
