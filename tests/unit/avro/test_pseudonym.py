from __future__ import annotations

import hashlib
import hmac

import pytest

from schemas.errors import ConfigError
from schemas.pseudonym import MIN_SECRET_BYTES, patient_key
from tests.unit.avro.samples import PATIENT_FNR, RELATIVE_FNR, SECRET


def test_key_is_a_keyed_hash_in_hex() -> None:
    key = patient_key(PATIENT_FNR, SECRET)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert PATIENT_FNR not in key
    assert key != hashlib.sha256(PATIENT_FNR.encode()).hexdigest()  # not an unkeyed hash
    assert (
        key != hmac.new(SECRET, PATIENT_FNR.encode(), hashlib.sha256).hexdigest()
    )  # domain-separated


def test_stable_per_secret_and_distinct_per_patient() -> None:
    assert patient_key(PATIENT_FNR, SECRET) == patient_key(PATIENT_FNR, SECRET)
    assert patient_key(PATIENT_FNR, SECRET) != patient_key(RELATIVE_FNR, SECRET)
    assert patient_key(PATIENT_FNR, SECRET) != patient_key(PATIENT_FNR, SECRET + b"2")


def test_whitespace_is_ignored() -> None:
    spaced = f" {PATIENT_FNR[:6]} {PATIENT_FNR[6:]}\n"
    assert patient_key(spaced, SECRET) == patient_key(PATIENT_FNR, SECRET)


def test_short_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="patient key secret"):
        patient_key(PATIENT_FNR, b"x" * (MIN_SECRET_BYTES - 1))


def test_empty_id_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        patient_key("  ", SECRET)
