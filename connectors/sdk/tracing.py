"""W3C trace context (``traceparent``) on records.

The runner calls :func:`ensure_traceparent` on every record it produces: a record that already
carries a valid ``traceparent`` keeps it; otherwise the current OpenTelemetry span's context is
used, and without an active span a fresh trace is started so every hop can still be joined up.
"""

from __future__ import annotations

import re
import secrets

from opentelemetry import trace

from .headers import TRACEPARENT, Headers, get_header, with_header

__all__ = ["ensure_traceparent", "is_valid_traceparent", "new_traceparent"]

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def is_valid_traceparent(value: str | None) -> bool:
    """True for a version-00 ``traceparent`` with non-zero trace and span ids."""
    if value is None:
        return False
    match = _TRACEPARENT.match(value)
    if match is None:
        return False
    return set(match.group(1)) != {"0"} and set(match.group(2)) != {"0"}


def new_traceparent() -> str:
    """A ``traceparent`` for the current span, or for a new random trace when none is active."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def ensure_traceparent(headers: Headers) -> Headers:
    """``headers`` with a valid ``traceparent`` (kept when present, added otherwise)."""
    if is_valid_traceparent(get_header(headers, TRACEPARENT)):
        return headers
    return with_header(headers, TRACEPARENT, new_traceparent())
