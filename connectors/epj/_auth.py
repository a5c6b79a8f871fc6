"""Bearer tokens per sending organisation (pure): who is calling, and may they send as X?

The config holds only SHA-256 digests of the tokens, never the tokens themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Sequence

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SenderToken", "authenticate", "bearer_token", "permitted_sender", "token_digest"]


class SenderToken(BaseModel):
    """One sending organisation: the HER-ids it may send as, and its token's SHA-256 digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="for logs, e.g. the municipality")
    her_ids: list[str] = Field(min_length=1)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate(token: str, senders: Sequence[SenderToken]) -> SenderToken | None:
    """The organisation whose token this is (compared in constant time), or ``None``."""
    digest = token_digest(token)
    found = None
    for sender in senders:
        if hmac.compare_digest(digest, sender.token_sha256):
            found = sender
    return found


def permitted_sender(her_ids: Collection[str], envelope_senders: Sequence[str]) -> str | None:
    """The envelope's sender HER-id if ``her_ids`` (a token's, an inbox's) may send as it, or
    ``None`` (forged).

    The most specific HER-id (the sending unit's when there is one) is the sender the pipeline
    routes and answers as, so it is the one that must be the token's: an organisation's token
    accepted for any unit nested under its own HER-id let it send as another organisation's
    unit. A token lists every HER-id it sends as, its units included."""
    if envelope_senders and envelope_senders[0] in her_ids:
        return envelope_senders[0]
    return None
