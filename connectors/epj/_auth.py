"""May a caller (a token's organisation, an inbox) send as the envelope's sender? (pure)

The tokens themselves are the SDK's (:mod:`connectors.sdk.http`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["permitted_sender"]


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
