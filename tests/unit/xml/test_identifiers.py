from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.xml.errors import InvalidIdentifierError
from schemas.xml.identifiers import (
    IdKind,
    birth_date,
    classify,
    is_valid_her_id,
    is_valid_hpr,
    is_valid_national_id,
    is_valid_org_no,
    mask,
    validate_national_id,
)

W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def with_check_digits(nine: str) -> str | None:
    k1 = (11 - sum(w * int(d) for w, d in zip(W1, nine, strict=True)) % 11) % 11
    if k1 == 10:
        return None
    ten = nine + str(k1)
    k2 = (11 - sum(w * int(d) for w, d in zip(W2, ten, strict=True)) % 11) % 11
    return None if k2 == 10 else ten + str(k2)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2039, 12, 31)))
    kind = draw(st.sampled_from(["FNR", "DNR", "HNR", "TENOR"]))
    day, month = born.day, born.month
    if kind == "DNR":
        day += 40
    elif kind == "HNR":
        month += 40
    elif kind == "TENOR":
        month += 80
    individ = draw(st.integers(0, 499) if born.year < 2000 else st.integers(500, 999))
    nine = f"{day:02d}{month:02d}{born.year % 100:02d}{individ:03d}"
    result = with_check_digits(nine)
    if result is None:
        return draw(st.nothing())
    return result


def test_known_numbers() -> None:
    assert classify("01015000232") is IdKind.FNR and is_valid_national_id("01015000232")
    assert birth_date("01015000232") == date(1950, 1, 1)
    assert classify("41015000232") is IdKind.DNR
    assert classify("01455000232") is IdKind.HNR
    assert classify("01815000232") is IdKind.TEST_TENOR
    assert classify("81015000232") is IdKind.FHN
    assert not is_valid_national_id("01015000233")
    assert not is_valid_national_id("0101500023")
    assert not is_valid_national_id("31025000232")  # no 31 February


@given(valid_ids())
def test_generated_valid_ids_pass(value: str) -> None:
    assert is_valid_national_id(value, rule_2032=False)
    assert is_valid_national_id(value)


@given(valid_ids(), st.integers(0, 10), st.integers(1, 9))
def test_single_digit_mutations_fail(value: str, pos: int, delta: int) -> None:
    mutated = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1 :]
    assert not is_valid_national_id(mutated)


def test_2032_rule_accepts_remainders_up_to_three() -> None:
    nine = "010150002"
    base = with_check_digits(nine)
    assert base is not None
    for remainder in (1, 2, 3):
        k1 = (int(base[9]) + remainder) % 11
        if k1 == 10:
            continue
        ten = nine + str(k1)
        k2 = (11 - sum(w * int(d) for w, d in zip(W2, ten, strict=True)) % 11) % 11
        if k2 == 10:
            continue
        new = ten + str(k2)
        assert is_valid_national_id(new)
        assert not is_valid_national_id(new, rule_2032=False)


def test_errors_mask_the_id() -> None:
    with pytest.raises(InvalidIdentifierError) as info:
        validate_national_id("01015000233")
    assert "010150" not in info.value.detail and "*" * 11 in info.value.detail
    assert info.value.code == "E31"
    assert mask("01015000232") == "*" * 11


def test_org_her_hpr() -> None:
    assert is_valid_org_no("974760924") and is_valid_org_no("889640782")
    assert not is_valid_org_no("974760925") and not is_valid_org_no("12345")
    assert is_valid_her_id("91393") and not is_valid_her_id("3469.67926")
    assert is_valid_hpr("9144900") and not is_valid_hpr("xxx")
