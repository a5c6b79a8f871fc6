"""Create the catalogue's topics on the broker (auto-creation is off: samflyt owns its topics)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from connectors.kafka_security import KafkaAccessError, KafkaConnection, start_client
from connectors.sdk import MAX_RECORD_BYTES
from schemas.errors import SamflytError
from streams.bindings import bindings_for, catalogue_for
from streams.principals import WORKER
from streams.settings import Settings
from streams.topics import BY_NAME, TopicSpec, changelog_specs

log = logging.getLogger(__name__)


class BrokerUnavailable(SamflytError):
    """The broker did not answer in time; trying again later may succeed."""

    retriable = True


async def ensure_topics(
    settings: Settings, specs: Iterable[TopicSpec] | None = None, *, principal: str = WORKER
) -> list[str]:
    """Create every missing topic — by default the deployment's catalogue (with the raw topic
    of each bound connector instance) and the changelogs of the pipeline's tables for
    ``settings.app_id`` — and return the full names created.

    Topics that already exist with a record limit below :data:`MAX_RECORD_BYTES` (created by
    an older release, by hand or by another tool, at Kafka's default of 1 MB) have it raised:
    otherwise the broker refuses a large message the producers accept, and it stalls its
    stage. Where the broker does not allow that (no ALTER_CONFIGS right on a shared cluster)
    the worker still starts, with a warning naming what the operator must raise."""
    if specs is None:
        specs = (*catalogue_for(bindings_for(settings)), *changelog_specs(settings.app_id))
    specs = list(specs)
    kafka = settings.kafka(principal)
    admin = AIOKafkaAdminClient(**kafka.options(), request_timeout_ms=120_000)
    try:
        await start_client(admin, kafka)
    except KafkaAccessError:
        raise
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach {kafka.describe()}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=_full_name(settings, spec),
                num_partitions=spec.partitions or settings.partitions,
                replication_factor=settings.replication_factor,
                # a whole message with what travels with it; Kafka's default is 1 MB
                topic_configs={
                    **spec.config(),
                    "max.message.bytes": str(MAX_RECORD_BYTES),
                    "min.insync.replicas": str(settings.min_insync_replicas),
                },
            )
            for spec in specs
            if _full_name(settings, spec) not in existing
        ]
        if wanted:
            # another worker may create them first: that is the state we want
            try:
                with contextlib.suppress(TopicAlreadyExistsError):
                    response = await admin.create_topics(wanted)
                    _raise_refusals(response.topic_errors, kafka)
            except KafkaAccessError:
                raise
            except KafkaError as exc:
                raise BrokerUnavailable(f"creating topics failed: {exc}") from exc
            log.info("created topics", extra={"count": len(wanted)})
        present = sorted({_full_name(settings, spec) for spec in specs} & existing)
        if present:
            try:
                await _raise_record_limits(admin, present)
            except KafkaError as exc:  # the broker answers: start, and say what to do
                log.warning(
                    "could not read or raise the record limit of existing topics; raise"
                    " max.message.bytes with kafka-configs, or large messages will be refused",
                    extra={"error": str(exc), "limit": MAX_RECORD_BYTES},
                )
        return [t.name for t in wanted]
    finally:
        await admin.close()


_TOPIC_ALREADY_EXISTS = 36
_TOPIC_AUTHORIZATION_FAILED = 29


def _raise_refusals(topic_errors: Iterable[tuple[Any, ...]], kafka: KafkaConnection) -> None:
    """CreateTopics answers per topic and aiokafka raises for none of them: a topic the
    principal may not create must stop start-up, not be counted as created."""
    denied = [t[0] for t in topic_errors if t[1] == _TOPIC_AUTHORIZATION_FAILED]
    if denied:
        raise KafkaAccessError(
            f"principal {kafka.principal or 'this client'} may not create {', '.join(denied)}:"
            " a CREATE ACL is missing (`samflyt kafka acls plan` shows the grants)"
        )
    failed = [f"{t[0]} (error {t[1]})" for t in topic_errors
              if t[1] not in (0, _TOPIC_ALREADY_EXISTS)]
    if failed:
        raise BrokerUnavailable(f"creating topics failed: {', '.join(failed)}")


_LIMIT = "max.message.bytes"
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself


async def _raise_record_limits(admin: AIOKafkaAdminClient, names: list[str]) -> list[str]:
    """Raise ``max.message.bytes`` of the named topics to :data:`MAX_RECORD_BYTES` where it
    is lower, keeping every other setting of the topic; returns the names raised.

    Kafka's AlterConfigs (the one aiokafka offers) replaces all of a topic's own settings, so
    each is written back with the new limit: a compacted topic stays compacted, a retention
    set by an operator stays. A topic with a secret setting (not readable back) is left as
    it is, with a warning."""
    found = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    )
    changes: list[ConfigResource] = []
    for response in found:
        for error_code, _, _, name, entries in response.resources:
            if error_code:  # e.g. deleted meanwhile: nothing to raise
                continue
            own = {e[0]: e[1] for e in entries if e[3] == _DYNAMIC_TOPIC_CONFIG}
            limit = next((e[1] for e in entries if e[0] == _LIMIT), None)
            if limit is None or int(limit) >= MAX_RECORD_BYTES:
                continue
            if any(value is None for value in own.values()):
                log.warning(
                    "topic's record limit is below a whole message and was not raised: it has"
                    " a secret setting this tool cannot write back",
                    extra={"topic": name, "limit": int(limit)},
                )
                continue
            changes.append(
                ConfigResource(
                    ConfigResourceType.TOPIC, name, {**own, _LIMIT: str(MAX_RECORD_BYTES)}
                )
            )
    raised: list[str] = []
    if changes:
        for response in await admin.alter_configs(changes):
            for error_code, message, _, name in response.resources:
                if error_code:  # e.g. no ALTER_CONFIGS right on a shared cluster: not fatal
                    log.warning(
                        "could not raise the topic's record limit; raise max.message.bytes"
                        " with kafka-configs, or large messages will be refused",
                        extra={"topic": name, "error": message or error_code},
                    )
                else:
                    raised.append(name)
    if raised:
        log.warning(
            "raised the record limit of existing topics to a whole message",
            extra={"topics": raised, "limit": MAX_RECORD_BYTES},
        )
    return raised


def _full_name(settings: Settings, spec: TopicSpec) -> str:
    """Catalogue topics get the deployment prefix; table changelogs are named by Faust."""
    return spec.name if spec.name.endswith("-changelog") else settings.topic(spec.name)


def partitions_of(settings: Settings, names: Iterable[str]) -> list[TopicPartition]:
    """Every partition of the named catalogue topics (their counts are fixed by the catalogue)."""
    out = []
    for name in names:
        spec = BY_NAME[name]
        out += [
            TopicPartition(settings.topic(name), p)
            for p in range(spec.partitions or settings.partitions)
        ]
    return out
