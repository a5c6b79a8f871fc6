"""Who is calling the HTTP source: a bearer token, a client certificate's organisation, or
both — decided by pure functions, so every rule is testable without a socket.

A sender is authenticated when every credential its entry lists is presented: an entry with a
token digest needs the token, one with an organisation number needs a verified client
certificate carrying that number, one with both needs both.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AuthRefusal",
    "Sender",
    "SenderToken",
    "authenticate",
    "bearer_token",
    "identify",
    "is_organisation_number",
    "organisation_number",
    "token_digest",
]

_ORGANISATION_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
# a virksomhetssertifikat carries the number as "NTRNO-<9 digits>" (organizationIdentifier,
# ETSI EN 319 412-1) or as the 9 digits alone (serialNumber, older issuers)
_CERTIFIED_NUMBER = re.compile(r"^(?:NTRNO-)?(\d{9})$")
_NUMBER_ATTRIBUTES = ("organizationIdentifier", "serialNumber")


class Sender(BaseModel):
    """One sending organisation: the HER-ids it may send as, and how it authenticates — its
    bearer token's SHA-256 digest, its certificate's organisation number, or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="for logs, e.g. the municipality")
    her_ids: list[str] = Field(min_length=1)
    token_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    organisation_number: str | None = Field(
        None, pattern=r"^\d{9}$", description="of its client certificate (mutual TLS)"
    )

    @model_validator(mode="after")
    def _has_a_credential(self) -> Sender:
        if self.token_sha256 is None and self.organisation_number is None:
            raise ValueError("a sender needs token_sha256, organisation_number or both")
        if self.organisation_number is not None and not is_organisation_number(
            self.organisation_number
        ):
            raise ValueError("organisation_number: not a valid organisation number (mod 11)")
        return self


SenderToken = Sender
"""The name of :class:`Sender` before client certificates (SDK 1.3); kept for plug-ins."""


@dataclass(frozen=True, slots=True)
class AuthRefusal:
    """Why a caller is not let in: the status (401 unknown, 403 known but not permitted) and a
    reason for the security log (never the token)."""

    status: int
    reason: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(token: str, senders: Sequence[Sender]) -> Sender | None:
    """The organisation whose token this is (compared in constant time), or ``None``."""
    digest = token_digest(token)
    found = None
    for sender in senders:
        if sender.token_sha256 is not None and hmac.compare_digest(digest, sender.token_sha256):
            found = sender
    return found


def is_organisation_number(digits: str) -> bool:
    """True for nine digits whose last is the mod-11 check digit of the first eight."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits, _ORGANISATION_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[8])


def organisation_number(peer_certificate: Mapping[str, Any] | None) -> str | None:
    """The organisation number in a verified certificate's subject (as ``ssl`` gives it:
    ``{"subject": ((("serialNumber", "NTRNO-…"),), …)}``), or ``None``."""
    if not peer_certificate:
        return None
    attributes = [pair for rdn in peer_certificate.get("subject", ()) for pair in rdn]
    for wanted in _NUMBER_ATTRIBUTES:
        for name, value in attributes:
            match = _CERTIFIED_NUMBER.match(str(value).strip()) if name == wanted else None
            if match and is_organisation_number(match.group(1)):
                return match.group(1)
    return None


def _by_organisation(number: str, senders: Iterable[Sender]) -> Sender | None:
    return next((s for s in senders if s.organisation_number == number), None)


def _presents_token_of(sender: Sender, token: str | None) -> bool:
    return token is not None and authenticate(token, [sender]) is sender


def identify(
    senders: Sequence[Sender], *, token: str | None, certified_organisation: str | None
) -> Sender | AuthRefusal:
    """The sender this caller is, or why not: every credential a sender's entry lists must be
    presented, so a certificate alone does not pass for an entry that also wants a token."""
    if certified_organisation is not None:
        sender = _by_organisation(certified_organisation, senders)
        if sender is None:
            return AuthRefusal(403, "certificate organisation is not a listed sender")
        if sender.token_sha256 is not None and not _presents_token_of(sender, token):
            return AuthRefusal(401, "this sender needs its bearer token with its certificate")
        return sender
    if token is None:
        return AuthRefusal(401, "no bearer token and no client certificate")
    sender = authenticate(token, senders)
    if sender is None:
        return AuthRefusal(401, "unknown bearer token")
    if sender.organisation_number is not None:
        return AuthRefusal(401, "this sender needs its client certificate")
    return sender
