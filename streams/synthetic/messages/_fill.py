"""Padding a message to a target size with realistic content (clinical text, observations)."""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["FILL", "finish"]

FILL = "\x00FILL\x00"  # where extra content goes; never left in the output


def finish(
    doc: str, rng: random.Random, target_size: int | None, chunk: Callable[[random.Random], str]
) -> bytes:
    """Replace :data:`FILL` with chunks until the UTF-8 size reaches ``target_size``."""
    if target_size is None or FILL not in doc:
        return doc.replace(FILL, "").encode("utf-8")
    size = len(doc.encode("utf-8")) - len(FILL)
    parts: list[str] = []
    while size < target_size:
        piece = chunk(rng)
        parts.append(piece)
        size += len(piece.encode("utf-8"))
    return doc.replace(FILL, "".join(parts)).encode("utf-8")
