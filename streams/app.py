"""The one Faust App factory: every worker, test and benchmark builds its app here."""

from __future__ import annotations

import faust
from faust.auth import OAuthCredentials, SASLCredentials, SSLCredentials
from faust.types.auth import CredentialsT

from connectors.kafka_security import KafkaConnection, ssl_context
from connectors.sdk import MAX_RECORD_BYTES
from streams.faust_patches import apply_faust_patches
from streams.principals import WORKER
from streams.settings import Settings


def faust_credentials(kafka: KafkaConnection) -> CredentialsT | None:
    """The worker's Kafka security as Faust takes it (its producer, consumer and admin)."""
    security = kafka.security
    context = (
        ssl_context(security.cafile, security.certfile, security.keyfile)
        if security.uses_tls
        else None
    )
    if not security.uses_sasl:
        return SSLCredentials(context) if context is not None else None
    if security.mechanism == "OAUTHBEARER":
        return OAuthCredentials(oauth_cb=security.token_provider, ssl_context=context)
    return SASLCredentials(
        username=security.username,
        password=security.password,
        ssl_context=context,
        mechanism=security.mechanism,
    )


def create_app(
    settings: Settings, *, app_id: str | None = None, web_port: int | None = None
) -> faust.App:
    """A Faust app tuned for samflyt's traffic (PERFORMANCE.md traps 1-4).

    Producer batches of up to a megabyte with a short linger, zstd compression and idempotent
    sends; consumers capped per poll so tail latency stays low; the web server only when a
    port is configured (metrics and health live there).
    """
    apply_faust_patches()
    port = settings.worker_web_port if web_port is None else web_port
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)  # Faust creates one level only
    kafka = settings.kafka(WORKER)
    app = faust.App(
        app_id or settings.app_id,
        broker=[f"kafka://{server.strip()}" for server in kafka.bootstrap.split(",")],
        broker_credentials=faust_credentials(kafka),
        store="memory://",
        datadir=str(settings.worker_data_dir / "{conf.name}"),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_allow_declare=True,
        topic_disable_leader=True,
        processing_guarantee=settings.processing_guarantee,
        broker_commit_interval=settings.commit_interval_seconds,
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_batch_size=settings.producer_max_batch_bytes,
        producer_compression_type=settings.compression_type,
        producer_acks=-1,
        # records up to a whole message with what travels with it (Kafka's default is 1 MB)
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        broker_max_poll_records=settings.max_poll_records,
        stream_buffer_maxsize=max(settings.max_poll_records * 2, 1000),
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=settings.kafka_heartbeat_interval_seconds,
        consumer_group_instance_id=settings.worker_instance_id,
        web_enabled=port > 0,
        web_port=port or 6066,
        web_bind="127.0.0.1",
        web_in_thread=False,
        # only health, readiness and metrics: Faust's table and router views would serve
        # table contents (pseudonymous patient state) and partition ownership to anyone
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        table_cleanup_interval=30.0,
        key_serializer="raw",
        value_serializer="raw",
    )
    fetch = (settings.consumer_fetch_min_bytes, settings.consumer_fetch_max_wait_ms)
    app.samflyt_fetch = fetch  # type: ignore[attr-defined]  # read by faust_patches
    return app
