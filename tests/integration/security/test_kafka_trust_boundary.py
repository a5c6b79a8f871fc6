"""The broker is the trust boundary: who cannot connect, and who cannot use which topic.

Every test here runs against the local secured broker (TLS + SASL SCRAM + ACLs) with the
principals and grants of a deployment of its own (the ``settings`` fixture applies the plan).
"""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from connectors.kafka import KafkaBatchReader, KafkaPublisher, Outgoing
from connectors.kafka_security import (
    KafkaAccessError,
    KafkaConnection,
    KafkaSecurity,
    start_client,
)
from streams.admin import ensure_topics
from streams.principals import JOURNEY, OPERATOR, WORKER, connector_principal, sink_principal
from streams.settings import Settings
from tests.integration.services import INFRA


@pytest.fixture
async def topics(settings: Settings) -> Settings:
    await ensure_topics(settings)
    return settings


async def test_a_plaintext_client_is_refused(settings: Settings) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


async def test_a_tls_client_without_credentials_is_refused(settings: Settings) -> None:
    kafka = settings.kafka(OPERATOR)
    anonymous = replace(kafka, security=replace(kafka.security, protocol="SSL"))
    producer = AIOKafkaProducer(**anonymous.options())
    with pytest.raises((KafkaAccessError, KafkaConnectionError)):
        await start_client(producer, anonymous)


async def test_a_wrong_password_stops_start_up_naming_the_setting(settings: Settings) -> None:
    kafka = settings.kafka(OPERATOR)
    wrong = replace(kafka, security=replace(kafka.security, password="not-the-password"))
    with pytest.raises(KafkaAccessError, match="SAMFLYT_KAFKA_SASL_PASSWORD"):
        await start_client(AIOKafkaProducer(**wrong.options()), wrong)


async def test_an_untrusted_broker_certificate_stops_start_up_naming_the_ca_setting(
    settings: Settings, tmp_path: Path
) -> None:
    kafka = settings.kafka(OPERATOR)
    # the system's roots: the local broker's own CA is not among them
    untrusted = replace(kafka, security=replace(kafka.security, cafile=None))
    options = {**untrusted.options(), "ssl_context": ssl.create_default_context()}
    with pytest.raises(KafkaAccessError, match="SAMFLYT_KAFKA_SSL_CAFILE"):
        await start_client(AIOKafkaProducer(**options), untrusted)


async def _publish(kafka: KafkaConnection, topic: str) -> object:
    """The record's Ack, or the error the broker refused it with."""
    publisher = KafkaPublisher(kafka, client_id="trust-test")
    try:
        await publisher.start()
        [result] = await publisher.publish([Outgoing(topic, b"<MsgHead/>", b"k", ())])
        return result
    except KafkaError as exc:  # a principal that may write nothing gets no producer id
        return exc
    finally:
        await publisher.stop()


async def test_a_connector_writes_its_own_raw_topic_and_no_other(topics: Settings) -> None:
    epj = topics.kafka(connector_principal("epj"))
    assert not isinstance(await _publish(epj, topics.topic("raw.epj")), BaseException)
    for other in ("raw.labresults", "raw.kjernejournal", "canonical.events", "delivery.gp"):
        assert isinstance(await _publish(epj, topics.topic(other)), TopicAuthorizationFailedError)


async def test_a_denied_topic_stops_a_connector_naming_the_missing_acl(topics: Settings) -> None:
    publisher = KafkaPublisher(topics.kafka(connector_principal("epj")), client_id="trust")
    await publisher.start()
    try:
        with pytest.raises(KafkaAccessError, match=r"connector-epj.*ACL is missing") as refused:
            await publisher.require_topics([topics.topic("raw.labresults")])
        assert topics.topic("raw.labresults") in str(refused.value)
    finally:
        await publisher.stop()


async def _read(kafka: KafkaConnection, topic: str, group: str) -> None:
    reader = KafkaBatchReader(kafka, [topic], group)
    await reader.start()
    try:
        await reader.read(10, timeout_ms=1500)
    finally:
        await reader.stop()


@pytest.mark.parametrize(
    ("principal", "topic"),
    [
        (connector_principal("epj"), "delivery.gp"),  # a connector reads no delivery topic
        (connector_principal("epj"), "canonical.events"),
        (sink_principal("delivery.gp"), "delivery.municipal"),  # nor a sink another's
        (sink_principal("delivery.national.nav"), "delivery.national.helsenorge"),
        ("subscriber-nav", "delivery.national.kjernejournal"),
    ],
)
async def test_a_principal_cannot_read_a_topic_it_is_not_granted(
    topics: Settings, principal: str, topic: str
) -> None:
    with pytest.raises(KafkaAccessError, match=rf"{principal} .*ACL is missing"):
        await _read(topics.kafka(principal), topics.topic(topic), f"{principal}.trust-test")


async def test_a_sink_reads_its_own_delivery_topic(topics: Settings) -> None:
    gp = sink_principal("delivery.gp")
    await _read(topics.kafka(gp), topics.topic("delivery.gp"), f"{gp}.trust-test")


async def test_the_journey_recorder_only_reads(topics: Settings) -> None:
    result = await _publish(topics.kafka(JOURNEY), topics.topic("decisions"))
    assert isinstance(result, TopicAuthorizationFailedError | ClusterAuthorizationFailedError)


async def test_the_worker_cannot_write_a_raw_topic(topics: Settings) -> None:
    """Only the connector bound to a raw topic writes it, so the pipeline's sender check per
    raw topic means something; the worker reads raw topics and writes everything after."""
    worker = topics.kafka(WORKER)
    refused = await _publish(worker, topics.topic("raw.epj"))
    assert isinstance(refused, TopicAuthorizationFailedError)
    assert not isinstance(await _publish(worker, topics.topic("decisions")), BaseException)


async def test_a_consumer_group_outside_the_principal_s_own_is_refused(topics: Settings) -> None:
    gp = topics.kafka(sink_principal("delivery.gp"))
    consumer = AIOKafkaConsumer(
        topics.topic("delivery.gp"), **gp.options(), group_id="someone-elses-group"
    )
    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await consumer.start()
    finally:
        await consumer.stop()


def _client_certificate(principal: str) -> tuple[Path, Path]:
    out = subprocess.run(
        ["bash", str(INFRA / "kafka" / "kafka.sh"), "client-cert", principal],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    return Path(out[0]), Path(out[1])


def _mtls(settings: Settings, principal: str | None) -> KafkaConnection:
    """The broker's mutual-TLS listener, with a client certificate naming ``principal``."""
    bootstrap = subprocess.run(
        ["bash", str(INFRA / "kafka" / "kafka.sh"), "mtls-bootstrap"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    cert, key = _client_certificate(principal) if principal else (None, None)
    return KafkaConnection(
        bootstrap,
        KafkaSecurity(protocol="SSL", cafile=settings.kafka_ssl_cafile, certfile=cert,
                      keyfile=key, mechanism=None),
    )


async def test_mutual_tls_names_the_principal_by_its_certificate(topics: Settings) -> None:
    epj = _mtls(topics, connector_principal("epj"))
    assert not isinstance(await _publish(epj, topics.topic("raw.epj")), BaseException)
    refused = await _publish(epj, topics.topic("raw.labresults"))
    assert isinstance(refused, TopicAuthorizationFailedError)


async def test_the_mutual_tls_listener_refuses_a_client_without_a_certificate(
    topics: Settings,
) -> None:
    anonymous = _mtls(topics, None)
    with pytest.raises((KafkaAccessError, KafkaConnectionError)):
        await start_client(AIOKafkaProducer(**anonymous.options()), anonymous)


async def test_a_principal_without_create_rights_is_refused_not_counted_as_created(
    settings: Settings,
) -> None:
    with pytest.raises(KafkaAccessError, match=r"samflyt-journey may not create"):
        await ensure_topics(settings, principal=JOURNEY)
