"""The validate stage takes from a raw topic only the senders bound to the connector instance
that writes it; anyone else is dead-lettered with no AppRec to anybody (it may be forged)."""

from __future__ import annotations

from functools import cache

from schemas.xml import parse_message
from streams.bindings import ConnectorBinding, SenderBindings
from streams.registries.view import RegistryView
from streams.stages.validate import Accepted, Origin, Rejected, validate
from streams.synthetic import TrafficItem, build_world, traffic

PREFIX = "samflyt."


@cache
def _world_view() -> tuple[RegistryView, tuple[TrafficItem, ...]]:
    world = build_world(seed=1, scale="small")
    view = RegistryView()
    for party in world.parties:
        view.put_party(party)
    return view, tuple(traffic(world, seed=913, count=40))


def _from_a_unit() -> bytes:
    """A positively answered dialogue message whose sender is a unit of an organisation."""
    _, items = _world_view()
    for item in items:
        sender = parse_message(item.data).sender
        if (
            item.expected.msg_type == "DIALOG_HELSEFAGLIG"
            and item.expected.apprec == "OK"
            and sender.unit_her_id
            and sender.org_her_id
        ):
            return item.data
    raise AssertionError("no dialogue message from a unit in the traffic")


DATA = _from_a_unit()
SENDER = parse_message(DATA).sender
UNIT, ORG = str(SENDER.unit_her_id), str(SENDER.org_her_id)


def _validate(topic: str, *bindings: ConnectorBinding) -> Accepted | Rejected:
    view, _ = _world_view()
    return validate(
        DATA,
        origin=Origin(PREFIX + topic, 0, 7, None, None, ()),
        registry=view,
        patient_key=lambda nid: "k",
        test_environment=True,
        bindings=SenderBindings(bindings, PREFIX),
    )


def _refused(result: Accepted | Rejected) -> Rejected:
    assert isinstance(result, Rejected)
    assert result.dead_letter["reason"] == "SENDER_NOT_PERMITTED"
    assert result.dead_letter["stage"] == "VALIDATE"
    assert result.dead_letter["sender_her_id"] == UNIT
    assert result.receipts == []  # not to the claimed sender, not to anyone
    return result


def test_a_sender_bound_to_the_topic_is_accepted_and_answered() -> None:
    result = _validate("raw.epj", ConnectorBinding("epj", "epj", frozenset({UNIT})))
    assert isinstance(result, Accepted)
    assert [r["receiver"]["her_id"] for r in result.receipts] == [UNIT]


def test_a_sender_not_bound_to_the_topic_is_dead_lettered_without_any_apprec() -> None:
    result = _refused(_validate("raw.epj", ConnectorBinding("epj", "epj", frozenset({"12345"}))))
    assert (
        result.dead_letter["detail"] == f"sender {UNIT} is not bound to raw topic samflyt.raw.epj"
    )
    assert result.dead_letter["origin"]["topic"] == "samflyt.raw.epj"


def test_a_sender_bound_to_another_instance_is_refused_on_this_instances_topic() -> None:
    bindings = (
        ConnectorBinding("epj", "epj", frozenset({"12345"})),
        ConnectorBinding("epj-oslo", "epj", frozenset({UNIT})),
    )
    assert isinstance(_validate("raw.epj.epj-oslo", *bindings), Accepted)
    _refused(_validate("raw.epj", *bindings))


def test_an_organisations_binding_does_not_cover_its_units() -> None:
    """The unit's HER-id is the sender samflyt answers as: it is the one that must be bound."""
    _refused(_validate("raw.epj", ConnectorBinding("epj", "epj", frozenset({ORG}))))
    assert isinstance(
        _validate("raw.epj", ConnectorBinding("epj", "epj", frozenset({UNIT, ORG}))), Accepted
    )


def test_a_record_on_a_raw_topic_bound_to_no_connector_is_refused() -> None:
    result = _refused(
        _validate("raw.labresults", ConnectorBinding("epj", "epj", frozenset({UNIT})))
    )
    assert "bound to no connector" in result.dead_letter["detail"]


def test_the_bindings_are_checked_under_the_deployment_prefix() -> None:
    """The same catalogue name under another deployment's prefix is another topic."""
    view, _ = _world_view()
    result = validate(
        DATA,
        origin=Origin("other.raw.epj", 0, 7, None, None, ()),
        registry=view,
        patient_key=lambda nid: "k",
        test_environment=True,
        bindings=SenderBindings((ConnectorBinding("epj", "epj", frozenset({UNIT})),), PREFIX),
    )
    _refused(result)
