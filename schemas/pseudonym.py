"""The pseudonymous patient key: a keyed hash of the national id.

Per-patient topics are keyed by it, so each patient's events are ordered and their state lives on
one partition, while keys, partition logs and metrics never show a national id. The key is
HMAC-SHA256 over the normalised national id with a deployment secret; without the secret the key
cannot be recomputed from a guessed id (11-digit ids are few enough to enumerate, so a plain hash
would not protect them). Rotating the secret re-keys every patient: plan it like a repartition.
"""

from __future__ import annotations

import hashlib
import hmac

from schemas.errors import ConfigError

__all__ = ["MIN_SECRET_BYTES", "patient_key"]

MIN_SECRET_BYTES = 32
_DOMAIN = b"samflyt.patient-key.v1\x00"


def patient_key(national_id: str, secret: bytes) -> str:
    """The patient key of ``national_id``: 64 lower-case hex characters, stable for one secret.

    Whitespace around and inside the id is ignored, so ``"010150 00232"`` and ``"01015000232"``
    give the same key. Raises :class:`~schemas.errors.ConfigError` for a secret shorter than
    :data:`MIN_SECRET_BYTES` and :class:`ValueError` for an empty id.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError("patient key secret", f"needs at least {MIN_SECRET_BYTES} bytes")
    normalised = "".join(national_id.split())
    if not normalised:
        raise ValueError("empty national id")
    return hmac.new(secret, _DOMAIN + normalised.encode("utf-8"), hashlib.sha256).hexdigest()
