"""What personal data looks like in free text, and how it is hidden before text leaves samflyt.

A national id (fødselsnummer, D-number, hjelpenummer) is eleven digits; senders and parsers
write it with spaces, dots or dashes too ("148670 49151"). Free text that reaches a sender, a
log, a span or an operator — error details, parser messages, an echoed MsgId — goes through
:func:`mask_ids_in`, which hides every such run completely: the first six digits are a birth
date, so no part of the id is kept.
"""

from __future__ import annotations

import re

__all__ = ["MASKED_ID", "contains_national_id", "mask_ids_in"]

MASKED_ID = "*" * 11
_NATIONAL_ID_LIKE = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){10}(?!\d)")


def contains_national_id(value: object) -> bool:
    """True when a text, or any item of a list or tuple, holds something shaped like an id."""
    if isinstance(value, str):
        return bool(_NATIONAL_ID_LIKE.search(value))
    if isinstance(value, (list, tuple)):
        return any(contains_national_id(item) for item in value)
    return False


def mask_ids_in(text: str) -> str:
    """``text`` with every run shaped like a national id replaced by :data:`MASKED_ID`."""
    return _NATIONAL_ID_LIKE.sub(MASKED_ID, text)
