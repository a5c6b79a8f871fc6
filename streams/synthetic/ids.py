"""Synthetic identifiers with valid check digits: national ids (Tenor scheme), org numbers, HPR.

National ids follow Skatteetaten's Test-Norge/Tenor scheme: a real-looking fødselsnummer whose
month is raised by 80, so it can never belong to a real person, with both mod-11 check digits
valid (HIS 1001 §4.1). Organisation numbers use the Enhetsregisteret mod-11 weights.
"""

from __future__ import annotations

import random
from datetime import date

__all__ = [
    "TENOR_MONTH_OFFSET",
    "invalid_national_id",
    "is_valid_national_id",
    "national_id_check_digits",
    "org_no_for",
    "tenor_national_id",
]

TENOR_MONTH_OFFSET = 80
_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORG_W = (3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    r = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if r == 11:
        return 0
    return None if r == 10 else r


def national_id_check_digits(first_nine: str) -> str | None:
    """The two check digits for nine leading digits, or None when no valid pair exists."""
    k1 = _mod11(first_nine, _W1)
    if k1 is None:
        return None
    k2 = _mod11(first_nine + str(k1), _W2)
    return None if k2 is None else f"{k1}{k2}"


def is_valid_national_id(value: str) -> bool:
    """Both check digits valid (date plausibility is not checked)."""
    if len(value) != 11 or not value.isdigit():
        return False
    return national_id_check_digits(value[:9]) == value[9:]


def tenor_national_id(rng: random.Random, birth: date, female: bool, taken: set[str]) -> str:
    """A new Tenor-scheme national id for ``birth``/sex, not in ``taken`` (which it joins)."""
    if not 1900 <= birth.year <= 2039:
        raise ValueError("birth year outside 1900-2039")
    low, high = (0, 499) if birth.year < 2000 else (500, 999)
    prefix = f"{birth.day:02d}{birth.month + TENOR_MONTH_OFFSET:02d}{birth.year % 100:02d}"
    for _ in range(10_000):
        individ = rng.randint(low, high)
        if (individ % 2 == 0) != female:  # ninth digit even = female
            individ = individ + 1 if individ < high else individ - 1
        nine = f"{prefix}{individ:03d}"
        checks = national_id_check_digits(nine)
        if checks is not None and nine + checks not in taken:
            taken.add(nine + checks)
            return nine + checks
    raise RuntimeError("no free national id for that birth date")  # pragma: no cover


def invalid_national_id(valid: str) -> str:
    """The same id with a wrong second check digit (for dead-letter scenarios)."""
    return valid[:10] + str((int(valid[10]) + 1) % 10)


def org_no_for(seed_number: int) -> str | None:
    """A stable organisation number (valid mod-11) derived from a unique number < 10**7."""
    for lead in ("9", "8"):
        eight = f"{lead}{seed_number % 10**7:07d}"
        check = _mod11(eight, _ORG_W)
        if check is not None:
            return eight + str(check)
    return None
