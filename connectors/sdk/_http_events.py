"""Refusals at the HTTP edge as structured security events — who, from where, why — so an
alert can watch probing and abuse. They never carry a token, a body, or what the parser said
(an id placed in a tag would be in it); the sender is its configured name."""

from __future__ import annotations

import logging

__all__ = ["GENERIC_REASONS", "generic_reason", "security_event"]

log = logging.getLogger("connectors.security")

GENERIC_REASONS = {
    400: "the message could not be read; see the code",
    401: "authentication required",
    403: "not permitted for this sender",
    408: "the request was not received in time",
    413: "the message is too large",
    422: "this kind of message is not accepted here",
    429: "too many requests of this sender in progress; retry",
    500: "the message could not be published; see the code",
    503: "temporarily unavailable; retry",
}
"""What a refused caller is told: a sentence per status that says nothing of the message."""


def generic_reason(status: int) -> str:
    return GENERIC_REASONS.get(status, "refused; see the code")


def security_event(
    status: int, code: str, why: str, *, sender: str | None, peer: str | None
) -> None:
    """Log one refusal (``why`` is a fixed phrase of samflyt's, never input text)."""
    log.warning(
        "security: request refused",
        extra={
            "event": "ingress.refused",
            "status": status,
            "code": code,
            "why": why,
            "sender": sender or "unauthenticated",
            "peer": peer,
        },
    )
