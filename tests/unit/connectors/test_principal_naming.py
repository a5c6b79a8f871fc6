"""The runner logs a connector in as the principal the ACL plan grants its topic."""

from __future__ import annotations

import pytest

from connectors.principals import raw_topic_owner, sink_principal


@pytest.mark.parametrize(
    ("topic", "owner"),
    [
        ("raw.epj", "connector-epj"),
        ("samflyt.raw.epj", "connector-epj"),
        ("samflyt.raw.epj.epj-oslo", "connector-epj-oslo"),
        ("samflyt.draw.epj", None),
        ("samflyt.delivery.gp", None),
    ],
)
def test_a_raw_topic_belongs_to_its_connector_instance(topic: str, owner: str | None) -> None:
    assert raw_topic_owner(topic) == owner


@pytest.mark.parametrize(
    ("topic", "principal"),
    [
        ("delivery.gp", "sink-gp"),
        ("samflyt.delivery.national.nav", "sink-national-nav"),
    ],
)
def test_a_delivery_topic_names_its_sink_principal(topic: str, principal: str) -> None:
    assert sink_principal(topic) == principal
