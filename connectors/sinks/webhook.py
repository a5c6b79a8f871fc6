"""National-service webhook: POSTs deliveries to each configured destination.

Every destination is its own lane — its own consumer group, offsets and backoff — so one dead
endpoint does not hold back the others. 5xx, 408, 429 and network errors are retried with
bounded exponential backoff; other 4xx answers dead-letter the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._envelope import accepts
from ..sdk import Failure, Record, Sink, SinkConfig
from ..sdk.base import DEFAULT_LANE, Health, HealthStatus
from ._common import post_record, record_topic, token_from_env
from ._delivery import unpack

__all__ = ["Destination", "WebhookConfig", "WebhookSink", "wants"]


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    url: str = Field(pattern=r"^https?://")
    topics: list[str] | None = Field(None, description="None: every consumed topic")
    message_types: list[str] | None = Field(None, description="type globs; None: all")
    token_env: str | None = None
    timeout: float = Field(10.0, gt=0)


class WebhookConfig(SinkConfig):
    destinations: list[Destination] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WebhookConfig:
        names = [d.name for d in self.destinations]
        if len(set(names)) != len(names):
            raise ValueError("destinations: names must be unique")
        return self


def wants(destination: Destination, record: Record) -> bool:
    """Does ``destination`` take ``record``? (pure)"""
    topic = record_topic(record)
    if destination.topics is not None and topic not in destination.topics:
        return False
    if destination.message_types is None:
        return True
    msg_type = unpack(record).message_type
    return msg_type is not None and accepts(destination.message_types, msg_type)


class WebhookSink(Sink[WebhookConfig]):
    name: ClassVar[str] = "national-webhook"
    sdk_version: ClassVar[str] = "1.0"
    config_model: ClassVar[type[WebhookConfig]] = WebhookConfig

    def __init__(self, config: WebhookConfig) -> None:
        super().__init__(config)
        self._by_name = {d.name: d for d in config.destinations}
        self._session: aiohttp.ClientSession | None = None
        self._failing: set[str] = set()

    def lanes(self) -> Sequence[str]:
        return [d.name for d in self.config.destinations]

    async def on_start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def on_stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def health(self) -> Health:
        if not self.started:
            return Health(HealthStatus.DOWN, "not started")
        if self._failing:
            return Health(HealthStatus.DEGRADED, "failing: " + ", ".join(sorted(self._failing)))
        return Health(HealthStatus.OK)

    def delivers(self, record: Record, lane: str = DEFAULT_LANE) -> bool:
        """Only a record the lane's destination takes was delivered by the lane."""
        return wants(self._by_name.get(lane) or self.config.destinations[0], record)

    async def write(self, records: Sequence[Record], lane: str = DEFAULT_LANE) -> Sequence[Failure]:
        destination = self._by_name.get(lane) or self.config.destinations[0]
        assert self._session is not None, "write before start"
        failures: list[Failure] = []
        mine = [r for r in records if wants(destination, r)]
        for i, record in enumerate(mine):
            error = await post_record(
                self._session,
                destination.url,
                record,
                timeout=destination.timeout,
                token=token_from_env(destination.token_env),
            )
            if error is None:
                continue
            if not error.retriable:
                failures.append(Failure(record, error))
                continue
            # keep the order within the lane: the rest of the batch waits for this record
            failures.extend(Failure(r, error) for r in mine[i:])
            break
        if any(f.error.retriable for f in failures):
            self._failing.add(destination.name)
        else:
            self._failing.discard(destination.name)
        return failures
