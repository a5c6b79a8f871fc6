"""EPJ delivery: each delivery for a recipient HER-id goes into that recipient's outbox
directory (atomic write, named by message id) or is POSTed to its endpoint.

The recipient and message id come from the Avro ``Delivery`` (else the ``samflyt.*`` headers,
else the record key: delivery topics are keyed by recipient HER-id); what is written is the
original message the delivery carries. Writing twice is harmless: an existing file of the same
message id means it was delivered; an endpoint gets ``Idempotency-Key: <delivery id>``.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..sdk import BadRecordError, Failure, Record, RetriableError, Sink, SinkConfig
from ..sdk.base import DEFAULT_LANE
from ._common import post_record, token_from_env
from ._delivery import unpack

__all__ = ["DeliveryConfig", "EpjDeliverySink", "Recipient", "Target", "plan"]


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path | None = None
    url: str | None = Field(None, pattern=r"^https?://")
    token_env: str | None = Field(None, description="environment variable with its token")

    @model_validator(mode="after")
    def _one(self) -> Recipient:
        if (self.directory is None) == (self.url is None):
            raise ValueError("give exactly one of directory or url")
        return self


class DeliveryConfig(SinkConfig):
    outbox_root: Path | None = Field(None, description="default: <outbox_root>/<HER-id>/")
    recipients: dict[str, Recipient] = Field(default_factory=dict)
    timeout: float = Field(10.0, gt=0)


@dataclass(frozen=True, slots=True)
class Target:
    directory: Path | None
    url: str | None
    token_env: str | None
    file_name: str
    body: bytes


_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _file_name(message_id: str) -> str:
    if _SAFE.match(message_id) and not message_id.startswith("."):
        return f"{message_id}.xml"
    return hashlib.sha256(message_id.encode()).hexdigest() + ".xml"


def plan(record: Record, config: DeliveryConfig) -> Target:
    """Where ``record`` goes (pure); raises BadRecordError when it cannot be delivered."""
    unpacked = unpack(record)
    her_id = unpacked.recipient_her_id or (record.key or b"").decode(errors="replace")
    if not her_id:
        raise BadRecordError("delivery without a recipient HER-id", code="no-recipient")
    message_id = unpacked.message_id
    if not message_id:
        raise BadRecordError("delivery without a message id", code="no-message-id")
    # named by the delivery's own id when it has one: message ids are unique per sender only,
    # and a second sender's message with the same id was taken as already delivered
    name = _file_name(unpacked.delivery_id or message_id)
    recipient = config.recipients.get(her_id)
    if recipient is not None:
        return Target(recipient.directory, recipient.url, recipient.token_env, name, unpacked.body)
    if config.outbox_root is not None and her_id.isdigit():
        return Target(config.outbox_root / her_id, None, None, name, unpacked.body)
    raise BadRecordError(f"no outbox or endpoint for HER-id {her_id}", code="unknown-recipient")


def write_atomically(directory: Path, name: str, data: bytes) -> None:
    """Write ``directory/name`` so a reader sees the whole file or none (temp file, fsync,
    rename). An existing file means this delivery was already made. The file is ``0600`` and a
    directory this creates ``0700``, whatever the umask: it is one recipient's health data."""
    target = directory / name
    if target.exists():
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = directory / f".{name}.{uuid.uuid4().hex}.tmp"  # two writers never share one
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EpjDeliverySink(Sink[DeliveryConfig]):
    name: ClassVar[str] = "epj-delivery"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[DeliveryConfig]] = DeliveryConfig

    def __init__(self, config: DeliveryConfig) -> None:
        super().__init__(config)
        self._session: aiohttp.ClientSession | None = None

    async def on_start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def on_stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def write(self, records: Sequence[Record], lane: str = DEFAULT_LANE) -> Sequence[Failure]:
        failures: list[Failure] = []
        for record in records:
            try:
                target = plan(record, self.config)
            except BadRecordError as exc:
                failures.append(Failure(record, exc))
                continue
            if target.directory is not None:
                try:
                    write_atomically(target.directory, target.file_name, target.body)
                except OSError as exc:
                    failures.append(Failure(record, _os_error(exc)))
            elif target.url is not None and self._session is not None:
                error = await post_record(
                    self._session,
                    target.url,
                    record,
                    timeout=self.config.timeout,
                    token=token_from_env(target.token_env),
                )
                if error is not None:
                    failures.append(Failure(record, error))
        return failures


def _os_error(exc: OSError) -> RetriableError:
    # A full disk or a missing mount may heal; report it as retriable so nothing is lost.
    return RetriableError(f"outbox write failed: {exc.strerror}", code="io")
