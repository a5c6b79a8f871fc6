"""Replay provenance headers: set by ``samflyt dlq replay`` on the re-injected record and carried
by the pipeline's stages onto what they write, so each journey row knows its attempt."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ATTEMPT", "REPLAY_OF", "attempt_of", "provenance"]

REPLAY_OF = "samflyt.replay-of"  # the dead letter's id
ATTEMPT = "samflyt.attempt"  # 2 for the first replay, ...


def provenance(headers: Iterable[tuple[str, bytes]] | None) -> list[tuple[str, bytes]]:
    """The provenance headers among ``headers``, to forward unchanged."""
    return [(k, v) for k, v in headers or () if k in (REPLAY_OF, ATTEMPT)]


def attempt_of(headers: Iterable[tuple[str, bytes]] | None) -> int | None:
    """The attempt a record belongs to (None: a first attempt, or unknown)."""
    for key, value in headers or ():
        if key == ATTEMPT:
            try:
                return int(value.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                return None
    return None
