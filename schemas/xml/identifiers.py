"""Norwegian identifier checks (STANDARDS §6): persons, organisations, HER-ids, HPR-numbers.

Person numbers (11 digits, DDMMYY + individual number + two check digits):

* fødselsnummer (FNR); D-nummer (DNR, day + 40); H-nummer (HNR, month + 40);
* felles hjelpenummer (FHN, first digit 8 or 9, no date);
* synthetic test numbers: Skatteetaten's Test-Norge/Tenor (month + 80) and NAV Dolly (month + 40,
  indistinguishable from an H-nummer, so it is classified as HNR).

Check digits: the first with weights 3,7,6,1,8,9,4,5,2, the second with 5,4,3,2,7,6,5,4,3,2. Numbers
issued from 2032 use a new control rule under which the remainder of the first weighted sum
(including K1) may be 0, 1, 2 or 3; K2 is computed over the first ten digits as before. Both rules
are accepted (``rule_2032=False`` checks the classic rule only). The date is checked, with the
century taken from the individual number where that is reliable (not for D-numbers).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from schemas.redaction import MASKED_ID
from schemas.xml.errors import InvalidIdentifierError

__all__ = [
    "IdKind",
    "birth_date",
    "classify",
    "has_valid_check_digits",
    "is_valid_her_id",
    "is_valid_hpr",
    "is_valid_national_id",
    "is_valid_org_no",
    "mask",
    "validate_national_id",
]

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORG_W = (3, 2, 7, 6, 5, 4, 3, 2)
_DIGITS11 = re.compile(r"\d{11}")


class IdKind(StrEnum):
    """What a person number is (the 8116 TypeId it should carry)."""

    FNR = "FNR"
    DNR = "DNR"
    HNR = "HNR"
    FHN = "FHN"
    TEST_TENOR = "TENOR"  # synthetic, Skatteetaten Test-Norge / Tenor (month + 80)


_HJELPENUMRE = frozenset({IdKind.HNR, IdKind.FHN})


def mask(national_id: str | None) -> str:
    """Hide a national id completely: its first six digits are the birth date."""
    return MASKED_ID if national_id and national_id.strip() else "<empty>"


def _check_digits_ok(digits: list[int], *, rule_2032: bool) -> bool:
    r1 = (sum(w * d for w, d in zip(_W1, digits[:9], strict=True)) + digits[9]) % 11
    r2 = (sum(w * d for w, d in zip(_W2, digits[:10], strict=True)) + digits[10]) % 11
    # numbers issued from 2032: the first control remainder may be 0, 1, 2 or 3; the second
    # check digit is computed as before, so every single-digit error is still detected
    return r2 == 0 and (r1 == 0 or (rule_2032 and r1 in (1, 2, 3)))


def classify(national_id: str) -> IdKind | None:
    """The kind of an 11-digit person number, from its structure alone (no checksum)."""
    if not _DIGITS11.fullmatch(national_id):
        return None
    first = int(national_id[0])
    month_tens = int(national_id[2])
    if first >= 8:
        return IdKind.FHN
    if first >= 4:
        return IdKind.DNR
    if month_tens in (4, 5):
        return IdKind.HNR
    if month_tens in (8, 9):
        return IdKind.TEST_TENOR
    if month_tens in (0, 1):
        return IdKind.FNR
    return None


def birth_date(national_id: str) -> date | None:
    """The date of birth a person number encodes, or None (FH-number, bad date, unknown kind)."""
    kind = classify(national_id)
    if kind is None or kind is IdKind.FHN:
        return None
    day = int(national_id[0:2])
    month = int(national_id[2:4])
    if kind is IdKind.DNR:
        day -= 40
    elif kind is IdKind.HNR:
        month -= 40
    elif kind is IdKind.TEST_TENOR:
        month -= 80
    yy = int(national_id[4:6])
    individ = int(national_id[6:9])
    years = _candidate_years(yy, individ, reliable=kind is not IdKind.DNR)
    for year in years:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def _candidate_years(yy: int, individ: int, *, reliable: bool) -> list[int]:
    if reliable:
        if individ <= 499:
            return [1900 + yy]
        if individ <= 749 and yy >= 55:
            return [1800 + yy]
        if individ >= 900 and yy >= 40:
            return [1900 + yy]
        if yy <= 39:
            return [2000 + yy]
    return [2000 + yy, 1900 + yy]  # the date must exist in some century


def has_valid_check_digits(national_id: str, *, rule_2032: bool = True) -> bool:
    """Only the two mod-11 check digits of an 11-digit number (no date or structure check)."""
    value = national_id.strip()
    if not _DIGITS11.fullmatch(value):
        return False
    return _check_digits_ok([int(c) for c in value], rule_2032=rule_2032)


def is_valid_national_id(national_id: str, *, rule_2032: bool = True) -> bool:
    """True for an FNR, D-, H-, FH- or Tenor test number with valid check digits (and date)."""
    try:
        validate_national_id(national_id, rule_2032=rule_2032)
    except InvalidIdentifierError:
        return False
    return True


def validate_national_id(
    national_id: str, expected: str | None = None, *, rule_2032: bool = True
) -> IdKind:
    """Return the kind of a valid person number or raise :class:`InvalidIdentifierError` (E31).

    ``expected`` is the TypeId from the message (FNR, DNR, HNR, FHN); a D-nummer sent as FNR is
    accepted (senders often mislabel), and so is either kind of hjelpenummer sent as the other
    (older H-numbers began with 8 or 9, as felles hjelpenumre do), but FHN on a number that is
    no hjelpenummer is not.
    """
    value = national_id.strip()
    if not _DIGITS11.fullmatch(value):
        raise InvalidIdentifierError(f"national id {mask(value)} is not 11 digits")
    kind = classify(value)
    if kind is None:
        raise InvalidIdentifierError(f"national id {mask(value)} has no valid structure")
    if not _check_digits_ok([int(c) for c in value], rule_2032=rule_2032):
        raise InvalidIdentifierError(f"national id {mask(value)} has wrong check digits")
    if kind is not IdKind.FHN and birth_date(value) is None:
        raise InvalidIdentifierError(f"national id {mask(value)} does not encode a valid date")
    if expected == "FHN" and kind not in _HJELPENUMRE:
        raise InvalidIdentifierError(f"national id {mask(value)} is not a hjelpenummer")
    return kind


def is_valid_org_no(org_no: str) -> bool:
    """Organisasjonsnummer: 9 digits, weights 3,2,7,6,5,4,3,2, mod 11 (10 is never valid)."""
    value = org_no.strip()
    if len(value) != 9 or not value.isdigit():
        return False
    total = sum(w * int(d) for w, d in zip(_ORG_W, value[:8], strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[8])


def is_valid_her_id(her_id: str) -> bool:
    """HER-id: a positive integer from the address register (no check digit is defined)."""
    value = her_id.strip()
    return value.isdigit() and 1 <= len(value) <= 9 and int(value) > 0


def is_valid_hpr(hpr: str) -> bool:
    """HPR-number: a positive integer of up to 9 digits (7 in practice; no check digit)."""
    value = hpr.strip()
    return value.isdigit() and 1 <= len(value) <= 9 and int(value) > 0
