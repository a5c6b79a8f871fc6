"""Create the catalogue's topics on the broker (auto-creation is off: samflyt owns its topics)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from connectors.sdk import MAX_RECORD_BYTES
from schemas.errors import SamflytError
from streams.settings import Settings
from streams.topics import BY_NAME, CATALOGUE, TopicSpec, changelog_specs

log = logging.getLogger(__name__)


class BrokerUnavailable(SamflytError):
    """The broker did not answer in time; trying again later may succeed."""

    retriable = True


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec] | None = None) -> list[str]:
    """Create every missing topic — by default the catalogue and the changelogs of the
    pipeline's tables for ``settings.app_id`` — and return the full names created."""
    if specs is None:
        specs = (*CATALOGUE, *changelog_specs(settings.app_id))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                request_timeout_ms=120_000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise BrokerUnavailable(f"cannot reach Kafka at {settings.kafka_bootstrap}: {exc}") from exc
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=_full_name(settings, spec),
                num_partitions=spec.partitions or settings.partitions,
                replication_factor=settings.replication_factor,
                # a whole message with what travels with it; Kafka's default is 1 MB
                topic_configs={**spec.config(), "max.message.bytes": str(MAX_RECORD_BYTES)},
            )
            for spec in specs
            if _full_name(settings, spec) not in existing
        ]
        if wanted:
            # another worker may create them first: that is the state we want
            try:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(wanted)
            except KafkaError as exc:
                raise BrokerUnavailable(f"creating topics failed: {exc}") from exc
            log.info("created topics", extra={"count": len(wanted)})
        return [t.name for t in wanted]
    finally:
        await admin.close()


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
