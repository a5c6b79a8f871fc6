"""Helpers the sinks share: where a record was read, and POSTing one record over HTTP."""

from __future__ import annotations

import os

import aiohttp

from ..sdk import BadRecordError, ConnectorError, Record, RetriableError
from ..sdk import headers as h
from ._delivery import unpack

__all__ = ["classify_status", "post_record", "record_topic", "token_from_env"]


def record_topic(record: Record) -> str | None:
    """The Kafka topic a sink read ``record`` from."""
    if record.position is None:
        return None
    return record.position.stream.rpartition(":")[0] or None


def classify_status(status: int) -> ConnectorError | None:
    """``None`` for success (2xx, or 409: the far end already has it); otherwise the error:
    retriable for 408/429/5xx, fatal (dead letter) for other 4xx."""
    if 200 <= status < 300 or status == 409:
        return None
    if status in (408, 425, 429) or status >= 500:
        return RetriableError(f"endpoint answered {status}", code=f"http-{status}")
    return BadRecordError(f"endpoint refused the record with {status}", code=f"http-{status}")


def token_from_env(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


async def post_record(
    session: aiohttp.ClientSession,
    url: str,
    record: Record,
    *,
    timeout: float,
    token: str | None = None,
) -> ConnectorError | None:
    """POST the record's body (the original message when it carries one, see
    :func:`unpack`); ``None`` on success, else the classified error."""
    unpacked = unpack(record)
    headers = {"Content-Type": unpacked.content_type}
    key = unpacked.delivery_id or unpacked.message_id
    if key:
        headers["Idempotency-Key"] = key
    traceparent = record.header(h.TRACEPARENT)
    if traceparent:
        headers["traceparent"] = traceparent
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        # never follow a redirect: aiohttp turns a POST answered 301/302/303 into a GET without
        # the body, and that GET's 200 (an https redirect, a moved inbox, a login page) counted
        # as delivered; a redirect is the endpoint's configuration to fix, and dead-lettered
        async with session.post(
            url,
            data=unpacked.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            await response.read()
            if 300 <= response.status < 400:
                location = response.headers.get("Location", "?")
                return BadRecordError(
                    f"endpoint redirected ({response.status}) to {location}: not followed",
                    code=f"http-{response.status}",
                )
            return classify_status(response.status)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return RetriableError(f"endpoint unreachable: {type(exc).__name__}", code="unreachable")
