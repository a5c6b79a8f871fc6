"""How a connector's or sink's Kafka principal follows from the topic it owns.

One naming for the connector runner (which picks the principal a process logs in as) and the
ACL plan (which grants each principal its topics), so the two cannot drift apart. Works on
catalogue names (``raw.epj``) and full names with a deployment prefix (``samflyt.raw.epj``).
"""

from __future__ import annotations

__all__ = ["STORE", "connector_principal", "raw_topic_owner", "sink_principal"]

STORE = "sink-store"  # the message store sink: the canonical events, receipts and decisions


def connector_principal(instance: str) -> str:
    """The principal of a connector instance: the only one allowed to write its raw topic."""
    return f"connector-{instance}"


def raw_topic_owner(topic: str) -> str | None:
    """The connector principal of a raw topic (``raw.<source>`` belongs to the family's default
    instance, ``raw.<source>.<instance>`` to that instance), or ``None`` for any other topic."""
    head, raw, rest = topic.rpartition("raw.")
    if not raw or (head and not head.endswith(".")):
        return None
    source, _, instance = rest.partition(".")
    return connector_principal(instance or source)


def sink_principal(delivery_topic: str) -> str:
    """The principal of the sinks reading one delivery topic (``delivery.gp`` → ``sink-gp``)."""
    return "sink-" + delivery_topic.rpartition("delivery.")[2].replace(".", "-")
