"""Every Kafka topic of samflyt, in one catalogue: the single source of truth for names.

Each entry says what the key is, which value schema (Avro record name, framed with a schema id;
``None`` for raw XML bytes) the topic carries, how it is partitioned and retained, and who may
read it. ``samflyt topics`` prints it; the AsyncAPI document is generated from it; topic creation
(`streams.admin.ensure_topics`) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DAY_MS = 24 * 3600 * 1000


class CareLevel(StrEnum):
    """Where a delivery goes; each has its own delivery topic."""

    MUNICIPAL = "municipal"
    GP = "gp"
    SPECIALIST = "specialist"
    NATIONAL = "national"
    CITIZEN = "citizen"
    TEST = "test"


class NationalService(StrEnum):
    """National services subscribing to their own delivery topic."""

    KJERNEJOURNAL = "kjernejournal"
    PROVESVAR = "provesvar"  # Pasientens prøvesvar: national lab/radiology result service
    HELSENORGE = "helsenorge"
    ERESEPT = "eresept"  # e-resept / pasientens legemiddelliste
    NAV = "nav"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str  # without the deployment prefix
    key: str
    value_schema: str | None  # Avro record name; None = raw XML bytes
    doc: str
    readers: tuple[str, ...]
    partitions: int | None = None  # None = the deployment default
    # who writes it (roles, as readers; streams.principals turns both into ACLs)
    writers: tuple[str, ...] = ("samflyt-pipeline",)
    retention_ms: int = 14 * DAY_MS
    compacted: bool = False
    headers_only: bool = False  # no value: the record says what it says in samflyt.* headers

    def config(self) -> dict[str, str]:
        """Broker-side topic configuration."""
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


RAW_SOURCES = ("epj", "kjernejournal", "labresults", "citizen", "welfare")

# What a raw record is keyed by (connectors._envelope.to_record, connectors.kjernejournal):
# one sender's messages, or one patient's core-journal changes, stay in order on one partition.
RAW_SENDER_KEY = "sender HER-id (the sending unit's when the envelope names one)"
RAW_KEYS = {"kjernejournal": "pseudonymous patient key (event id when no patient)"}


def raw_spec(name: str, source: str) -> TopicSpec:
    """The catalogue entry of one raw topic of a source family (a connector instance's own, see
    :mod:`streams.bindings`)."""
    return TopicSpec(
        name=name,
        key=RAW_KEYS.get(source, RAW_SENDER_KEY),
        value_schema=None,
        doc=f"Messages from {source} connectors as received: KITH XML bytes (a MsgHead "
        "envelope, or the own Message root of Epikrise, Svarrapport, Henvisning 1.x or "
        "Rekvisisjon) with samflyt.* origin headers (connector, received-at, authenticated "
        "sender) and W3C traceparent.",
        readers=("samflyt-pipeline",),
        retention_ms=30 * DAY_MS,
        writers=("connector",),
    )


_RAW = tuple(raw_spec(f"raw.{source}", source) for source in RAW_SOURCES)

_DELIVERY = tuple(
    TopicSpec(
        name=f"delivery.{level.value}",
        key="recipient HER-id",
        value_schema="Delivery",
        doc=f"One delivery event per recipient at care level '{level.value}': the canonical "
        "event, the recipient and the reason it may receive it; AppRecs to senders too.",
        readers=(f"care-level:{level.value}",),
    )
    for level in CareLevel
    if level is not CareLevel.NATIONAL
) + tuple(
    TopicSpec(
        name=f"delivery.national.{service.value}",
        key="recipient HER-id",
        value_schema="Delivery",
        doc=f"Deliveries to the national service '{service.value}', limited to the message "
        "types it is entitled to.",
        readers=(f"national-service:{service.value}",),
    )
    for service in NationalService
)

CATALOGUE: tuple[TopicSpec, ...] = (
    *_RAW,
    TopicSpec(
        "canonical.events",
        "pseudonymous patient key (message id when no patient)",
        "CanonicalEvent",
        "Every accepted message as a canonical, versioned Avro event, ordered per patient.",
        ("samflyt-pipeline", "samflyt-store", "samflyt-journey"),
    ),
    *_DELIVERY,
    TopicSpec(
        "receipts",
        "original sender HER-id",
        "Receipt",
        "Every AppRec sent (accepted and rejected), for the quality report and the store.",
        ("samflyt-store", "sre", "samflyt-journey"),
    ),
    TopicSpec(
        "receipts.undelivered",
        "original sender HER-id",
        "Receipt",
        "AppRecs whose sender was not in the address register when the AppRec was made: tried "
        "again, then dead-lettered (a replay after the sender is registered lands here).",
        ("samflyt-pipeline", "sre"),
        writers=("samflyt-pipeline", "samflyt-operator"),
    ),
    TopicSpec(
        "decisions",
        "pseudonymous patient key",
        "Decision",
        "Every routing decision — grants and refusals — with its reason (tjenstlig behov).",
        ("samflyt-store", "audit", "samflyt-journey"),
        retention_ms=90 * DAY_MS,
    ),
    TopicSpec(
        "deliveries.confirmed",
        "recipient HER-id",
        None,
        "A sink's confirmation that it wrote a routed delivery: no value; the delivery's id, "
        "message id, type, recipient HER-id (and the citizen's pseudonymous key), trace context "
        "and the sink in samflyt.* headers. The journey's delivered steps.",
        ("samflyt-pipeline", "sre", "samflyt-journey"),
        headers_only=True,
        writers=("sink",),
    ),
    TopicSpec(
        "deadletter",
        "message id",
        "DeadLetter",
        "Inputs that could not be processed: reason code, detail, stage, original bytes.",
        ("sre", "samflyt-journey"),
        retention_ms=90 * DAY_MS,
    ),
    TopicSpec(
        "overdue",
        "original sender HER-id",
        "Overdue",
        "Requests that expected an answer and got none in time.",
        ("samflyt-pipeline", "sre", "samflyt-journey"),
    ),
    TopicSpec(
        "internal.clock",
        "none (sent to each partition)",
        None,
        "Clock ticks per partition, so per-partition timers (the overdue watch) run inside the "
        "partition's processing and transaction.",
        ("samflyt-pipeline",),
        retention_ms=3600 * 1000,
    ),
    TopicSpec(
        "audit.anchor",
        "audit row seq",
        None,
        "The audit chain anchored outside PostgreSQL: each audit row's seq and hash (JSON), "
        "compacted, written only by the operator tools that write audit rows; `samflyt audit "
        "verify` finds a chain rewritten or cut short by the database owner.",
        ("audit",),
        partitions=1,
        compacted=True,
        writers=("samflyt-operator",),
    ),
    TopicSpec(
        "registry.parties",
        "HER-id",
        "CommunicationParty",
        "Address register (HER-id → party), compacted; fed from PostgreSQL.",
        ("samflyt-pipeline", "samflyt-registry"),
        compacted=True,
        writers=("samflyt-registry",),
    ),
    TopicSpec(
        "registry.patients",
        "pseudonymous patient key",
        "PatientRegistryEntry",
        "Per patient: GP, municipality of residence, care relationships, proxies, opt-outs; "
        "compacted; fed from PostgreSQL.",
        ("samflyt-pipeline", "samflyt-registry"),
        compacted=True,
        writers=("samflyt-registry",),
    ),
)

BY_NAME: dict[str, TopicSpec] = {spec.name: spec for spec in CATALOGUE}


def delivery_topic(level: CareLevel, service: NationalService | None = None) -> str:
    """Catalogue name of the delivery topic for a care level (and national service)."""
    if level is CareLevel.NATIONAL:
        if service is None:
            raise ValueError("a national delivery needs the service")
        return f"delivery.national.{service.value}"
    return f"delivery.{level.value}"


# Faust tables of the pipeline (name → what it holds). Their changelog topics are named
# ``<app id>-<table>-changelog`` by Faust; samflyt creates them itself like every other topic.
TABLES: dict[str, str] = {
    "seen-message-ids": "sender:message-id of every accepted message (duplicate detection)",
    "patient-state": "per patient: care relationships started/ended by events, recipients of "
    "each document (for changes and cancellations)",
    "open-requests": "requests awaiting an answer, and answers that overtook their request",
}


def changelog_specs(app_id: str) -> tuple[TopicSpec, ...]:
    """The compacted changelog topics of the pipeline's tables for one app id (not prefixed)."""
    return tuple(
        TopicSpec(f"{app_id}-{table}-changelog", "table key", None, f"Changelog of {doc}",
                  ("samflyt-pipeline",), compacted=True)
        for table, doc in TABLES.items()
    )
