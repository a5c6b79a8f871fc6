"""An AsyncAPI 3.0 document of every samflyt topic, generated from the same catalogue the
platform creates its topics from, with each topic's Avro value schema and its schema id, so a
national service can subscribe without reading samflyt's code."""

from __future__ import annotations

from typing import Any

from schemas.catalogue import default_catalogue, short_name
from streams.settings import Settings
from streams.topics import CATALOGUE, TopicSpec

AVRO = "application/vnd.apache.avro+binary;version=1.9.0"


def asyncapi_document(settings: Settings, version: str = "0.1.0") -> dict[str, Any]:
    catalogue = default_catalogue()
    schemas: dict[str, Any] = {}
    for name in catalogue.names:
        entry = catalogue.latest(name)
        schemas[short_name(name)] = {
            "schemaFormat": AVRO,
            "schema": catalogue.schema(entry),
            "x-samflyt-schema-id": entry.schema_id,
            "x-samflyt-schema-version": entry.version,
        }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for spec in CATALOGUE:
        channel_id = spec.name.replace(".", "-")
        channels[channel_id] = _channel(settings, spec)
        operations[f"receive-{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Read {spec.name} ({', '.join(spec.readers)})",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "samflyt",
            "version": version,
            "description": "Topics of the samflyt integration platform for Norwegian health and "
            "care messaging. Values framed in the Confluent wire format: magic byte 0, the "
            "4-byte schema id, then the schemaless Avro body.",
        },
        "servers": {
            "kafka": {"host": settings.kafka_bootstrap, "protocol": "kafka",
                      "description": "Apache Kafka 4 (the deployment's bootstrap servers)"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas},
    }


def _channel(settings: Settings, spec: TopicSpec) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": spec.value_schema or "RawXml",
        "summary": spec.doc,
        "bindings": {"kafka": {"key": {"type": "string", "description": spec.key}}},
    }
    if spec.value_schema:
        message["contentType"] = AVRO
        message["payload"] = {"$ref": f"#/components/schemas/{spec.value_schema}"}
    elif spec.headers_only:
        message["name"] = "HeadersOnly"
        message["payload"] = {"type": "string", "maxLength": 0,
                              "description": "Empty: the record is its samflyt.* headers"}
    else:
        message["contentType"] = "application/xml"
        message["payload"] = {"type": "string", "format": "binary",
                              "description": "The message as received (KITH/ehelse XML)"}
    return {
        "address": settings.topic(spec.name),
        "description": spec.doc,
        "messages": {"value": message},
        "bindings": {"kafka": {
            "topic": settings.topic(spec.name),
            "partitions": spec.partitions or settings.partitions,
            "replicas": settings.replication_factor,
            "topicConfiguration": {
                "cleanup.policy": [spec.config()["cleanup.policy"]],
                **({"retention.ms": spec.retention_ms} if not spec.compacted else {}),
            },
        }},
        "x-samflyt-readers": list(spec.readers),
    }
