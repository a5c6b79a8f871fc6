"""The principal plan: one principal per component, each granted only what it needs."""

from __future__ import annotations

from streams.principals import (
    JOURNEY,
    OPERATOR,
    REGISTRY,
    WORKER,
    Grant,
    Pattern,
    Resource,
    acl_plan,
    connector_principal,
    sink_principal,
    subscriber_principal,
)
from streams.settings import Settings, load_settings
from streams.topics import CATALOGUE, RAW_SOURCES, TopicSpec


def _settings() -> Settings:
    return load_settings(topic_prefix="p.", app_id="app", environment="test")


def _who(grants: list[Grant], operation: str, topic: str) -> set[str]:
    return {
        g.principal
        for g in grants
        if g.resource is Resource.TOPIC and g.name == topic and g.operation == operation
    }


def test_each_raw_topic_is_written_only_by_its_connector_and_the_replaying_operator() -> None:
    grants = acl_plan(_settings())
    for source in RAW_SOURCES:
        assert _who(grants, "WRITE", f"p.raw.{source}") == {connector_principal(source), OPERATOR}


def test_each_delivery_topic_is_read_only_by_its_sink_its_subscriber_and_the_operator() -> None:
    grants = acl_plan(_settings())
    for spec in CATALOGUE:
        if not spec.name.startswith("delivery."):
            continue
        readers = _who(grants, "READ", f"p.{spec.name}")
        expected = {sink_principal(spec.name), OPERATOR}
        if spec.name.startswith("delivery.national."):
            expected.add(subscriber_principal(spec.name.rsplit(".", 1)[1]))
        assert readers == expected, spec.name
        assert _who(grants, "WRITE", f"p.{spec.name}") == {WORKER}


def test_no_connector_reads_anything_but_its_own_raw_topic() -> None:
    grants = acl_plan(_settings())
    read = {g.name for g in grants if g.principal == connector_principal("epj")
            and g.operation == "READ"}
    assert read == {"p.raw.epj"}


def test_the_journey_recorder_writes_nothing_and_the_registry_only_its_topics() -> None:
    grants = acl_plan(_settings())
    assert not [g for g in grants if g.principal == JOURNEY and g.operation == "WRITE"]
    assert {g.name for g in grants if g.principal == REGISTRY and g.operation == "WRITE"} == {
        "p.registry.parties", "p.registry.patients"
    }


def test_nothing_is_granted_on_the_whole_cluster_or_on_every_topic() -> None:
    grants = acl_plan(_settings())
    assert {g.resource for g in grants} <= {Resource.TOPIC, Resource.GROUP,
                                             Resource.TRANSACTIONAL_ID}
    prefixed = {g.name for g in grants if g.pattern is Pattern.PREFIXED}
    # only the app's own (Faust's internal topics, its transactional ids, its groups) and
    # each consumer's groups under its own name
    assert all(name.startswith(("app", "sink-", "subscriber-", OPERATOR)) for name in prefixed)


def test_consumers_use_groups_under_their_own_name_only() -> None:
    grants = acl_plan(_settings())
    gp = sink_principal("delivery.gp")
    groups = {(g.pattern, g.name) for g in grants if g.principal == gp
              and g.resource is Resource.GROUP}
    assert groups == {(Pattern.PREFIXED, gp)}


def test_a_bound_connector_instance_gets_its_own_raw_topic() -> None:
    oslo = TopicSpec("raw.epj.oslo", "k", None, "d", ("samflyt-pipeline",), writers=("connector",))
    grants = acl_plan(_settings(), [*CATALOGUE, oslo])
    assert _who(grants, "WRITE", "p.raw.epj.oslo") == {connector_principal("oslo"), OPERATOR}
    assert _who(grants, "READ", "p.raw.epj.oslo") >= {WORKER}
    assert connector_principal("oslo") not in _who(grants, "WRITE", "p.raw.epj")


def test_the_journey_recorder_may_read_every_topic_it_records() -> None:
    from streams.journey.recorder import SOURCES

    grants = acl_plan(_settings())
    for name in SOURCES:
        assert JOURNEY in _who(grants, "READ", f"p.{name}"), name


def test_the_plan_feeds_strimzi_kafka_users_one_per_principal() -> None:
    from streams.principals import strimzi_users

    grants = acl_plan(_settings())
    users = {u["metadata"]["name"]: u for u in strimzi_users(grants, "prod")}  # type: ignore[index]
    assert "admin" not in users and set(users) == {g.principal for g in grants} - {"admin"}
    epj = users[connector_principal("epj")]["spec"]["authorization"]["acls"]  # type: ignore[index]
    raw = next(a for a in epj if a["resource"]["name"] == "p.raw.epj")
    assert raw["resource"] == {"type": "topic", "name": "p.raw.epj", "patternType": "literal"}
    assert raw["operations"] == ["Describe", "Read", "Write"]
