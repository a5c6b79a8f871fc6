"""Who may do what on the broker: one principal per component, least privilege, as data.

The plan is derived from the topic catalogue (who reads and who writes each topic) and the
connector bindings (which raw topic each connector instance writes); ``samflyt kafka acls plan``
prints it, ``apply`` writes it to the broker, and the same entries can feed a cluster's
``KafkaUser`` resources. Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from connectors.principals import STORE, connector_principal, raw_topic_owner, sink_principal
from streams.bindings import bindings_for, catalogue_for
from streams.settings import Settings
from streams.topics import TopicSpec, changelog_specs

WORKER = "samflyt-worker"  # the pipeline's Faust workers
JOURNEY = "samflyt-journey"  # the journey recorder (reads only)
REGISTRY = "samflyt-registry"  # publishes the registries from PostgreSQL to their topics
OPERATOR = "samflyt-operator"  # admin and CLI commands: topics, trace, dlq replay, the harness
ADMIN = "admin"  # the broker's super user: applies this plan, nothing else uses it


def subscriber_principal(service: str) -> str:
    """A national service subscribing to its own delivery topic directly."""
    return f"subscriber-{service}"


class Resource(StrEnum):
    TOPIC = "TOPIC"
    GROUP = "GROUP"
    TRANSACTIONAL_ID = "TRANSACTIONAL_ID"


class Pattern(StrEnum):
    LITERAL = "LITERAL"
    PREFIXED = "PREFIXED"


@dataclass(frozen=True, slots=True, order=True)
class Grant:
    """One ALLOW entry: ``principal`` may ``operation`` on ``resource`` ``name``."""

    principal: str
    resource: Resource
    pattern: Pattern
    name: str
    operation: str  # READ, WRITE, DESCRIBE, CREATE, DESCRIBE_CONFIGS, ALTER_CONFIGS

    def describe(self) -> str:
        star = "*" if self.pattern is Pattern.PREFIXED else ""
        return f"User:{self.principal:<28} {self.operation:<16} {self.resource} {self.name}{star}"


# the catalogue's reader and writer roles that are one principal each
_ROLES = {
    "samflyt-pipeline": WORKER,
    "sre": OPERATOR,
    "audit": OPERATOR,
    "samflyt-operator": OPERATOR,
    "samflyt-store": STORE,
    "samflyt-registry": REGISTRY,
    "samflyt-journey": JOURNEY,
}


def _reader_principals(spec: TopicSpec) -> set[str]:
    """The catalogue's readers as principals (roles such as ``sre`` are the operator; a care
    level's or national service's readers are its sinks and subscriber)."""
    principals = {_ROLES[r] for r in spec.readers if r in _ROLES}
    for reader in spec.readers:
        if reader.startswith(("care-level:", "national-service:")):
            principals.add(sink_principal(spec.name))
        if reader.startswith("national-service:"):
            principals.add(subscriber_principal(reader.partition(":")[2]))
    return principals


def _writer_principals(spec: TopicSpec) -> set[str]:
    """Who writes ``spec``. A raw topic belongs to its connector instance, and the operator
    may write it too (dead-letter replay re-injects the original bytes); ``sink`` is every
    sink principal (added with the sinks' own grants)."""
    principals = {_ROLES[w] for w in spec.writers if w in _ROLES}
    owner = connector_principal_of(spec)
    if "connector" in spec.writers and owner is not None:
        principals |= {owner, OPERATOR}
    return principals


def _topic(principal: str, name: str, *operations: str) -> list[Grant]:
    return [Grant(principal, Resource.TOPIC, Pattern.LITERAL, name, op) for op in operations]


def acl_plan(settings: Settings, specs: Iterable[TopicSpec] | None = None) -> list[Grant]:
    """Every grant of a deployment (its topic prefix and app id), sorted.

    ``specs``: its topics; by default the catalogue with the raw topic of every connector
    instance the bindings name."""
    grants: set[Grant] = set()
    specs = list(catalogue_for(bindings_for(settings)) if specs is None else specs)
    for spec in specs:
        name = settings.topic(spec.name)
        for principal in _reader_principals(spec):
            grants.update(_topic(principal, name, "READ", "DESCRIBE"))
        for principal in _writer_principals(spec):
            grants.update(_topic(principal, name, "WRITE", "DESCRIBE"))
        # workers create missing topics at start and raise a too low record limit
        grants.update(_topic(WORKER, name, "CREATE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"))
        if REGISTRY in _writer_principals(spec):  # the publisher creates its own topics
            grants.update(_topic(REGISTRY, name, "CREATE", "DESCRIBE_CONFIGS"))
        # the operator sees everything (trace, dlq, the harness) and creates topics
        grants.update(_topic(OPERATOR, name, "READ", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS"))
    for spec in changelog_specs(settings.app_id):
        grants.update(
            _topic(WORKER, spec.name, "READ", "WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS")
        )
        grants.update(_topic(OPERATOR, spec.name, "READ", "DESCRIBE"))  # state lag, as an SRE
    app = settings.app_id
    grants |= {
        # Faust's own topics (its leader-assignor topic) and group, and exactly-once's ids
        *[Grant(WORKER, Resource.TOPIC, Pattern.PREFIXED, f"{app}-", op)
          for op in ("READ", "WRITE", "DESCRIBE", "CREATE")],
        Grant(WORKER, Resource.GROUP, Pattern.LITERAL, app, "READ"),
        Grant(WORKER, Resource.GROUP, Pattern.LITERAL, app, "DESCRIBE"),
        *[Grant(WORKER, Resource.TRANSACTIONAL_ID, Pattern.PREFIXED, app, op)
          for op in ("WRITE", "DESCRIBE")],
        Grant(JOURNEY, Resource.GROUP, Pattern.LITERAL, f"{app}-journey", "READ"),
        # the operator watches the lag of the deployment's groups, and reads with its own
        Grant(OPERATOR, Resource.GROUP, Pattern.PREFIXED, app, "DESCRIBE"),
        Grant(OPERATOR, Resource.GROUP, Pattern.PREFIXED, OPERATOR, "READ"),
    }
    # sinks, subscribers and the store use consumer groups under their own name only
    consumers = {g.principal for g in grants if g.principal.startswith(("sink-", "subscriber-"))}
    for principal in consumers:
        grants.add(Grant(principal, Resource.GROUP, Pattern.PREFIXED, principal, "READ"))
    for principal in {*consumers, *_connectors(specs)}:
        if principal.startswith("sink-") and principal != STORE:
            grants.update(_topic(principal, settings.topic("deliveries.confirmed"),
                                 "WRITE", "DESCRIBE"))
        if not principal.startswith("subscriber-"):
            grants.update(_topic(principal, settings.topic("deadletter"), "WRITE", "DESCRIBE"))
    for principal in _connectors(specs):  # a source reads back what it wrote after a crash
        for spec in specs:
            if connector_principal_of(spec) == principal:
                grants.update(_topic(principal, settings.topic(spec.name), "READ"))
    return sorted(grants)


def connector_principal_of(spec: TopicSpec) -> str | None:
    """The connector principal that owns a raw topic, or ``None`` for any other topic."""
    return raw_topic_owner(spec.name) if spec.name.startswith("raw.") else None


def _connectors(specs: Iterable[TopicSpec]) -> set[str]:
    return {p for spec in specs if (p := connector_principal_of(spec)) is not None}


def strimzi_users(grants: Iterable[Grant], cluster: str) -> list[dict[str, object]]:
    """The plan as Strimzi ``KafkaUser`` resources (SCRAM-SHA-512, simple authorisation), one
    per principal, for a cluster whose operator manages users and ACLs."""
    by_principal: dict[str, list[Grant]] = {}
    for grant in grants:
        if grant.principal != ADMIN:
            by_principal.setdefault(grant.principal, []).append(grant)
    users: list[dict[str, object]] = []
    for principal, own in sorted(by_principal.items()):
        rules: dict[tuple[str, str, str], list[str]] = {}
        for g in own:
            rules.setdefault((g.resource.value, g.pattern.value, g.name), []).append(g.operation)
        acls = [
            {
                "resource": {"type": _STRIMZI_TYPES[kind], "name": name,
                             "patternType": pattern.lower()},
                "operations": [_STRIMZI_OPERATIONS.get(op, op.title()) for op in sorted(ops)],
            }
            for (kind, pattern, name), ops in sorted(rules.items())
        ]
        users.append({
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaUser",
            "metadata": {"name": principal, "labels": {"strimzi.io/cluster": cluster}},
            "spec": {"authentication": {"type": "scram-sha-512"},
                     "authorization": {"type": "simple", "acls": acls}},
        })
    return users


_STRIMZI_TYPES = {"TOPIC": "topic", "GROUP": "group", "TRANSACTIONAL_ID": "transactionalId"}
_STRIMZI_OPERATIONS = {"DESCRIBE_CONFIGS": "DescribeConfigs", "ALTER_CONFIGS": "AlterConfigs"}


def principals(grants: Iterable[Grant]) -> list[str]:
    """Every principal the plan names, sorted (the users ``apply`` creates locally)."""
    return sorted({g.principal for g in grants})


__all__ = [
    "ADMIN",
    "JOURNEY",
    "OPERATOR",
    "REGISTRY",
    "STORE",
    "WORKER",
    "Grant",
    "Pattern",
    "Resource",
    "acl_plan",
    "connector_principal",
    "connector_principal_of",
    "principals",
    "sink_principal",
    "strimzi_users",
    "subscriber_principal",
]
