"""Connector bindings: each instance's raw topic and principal, the bindings file and its
errors, the local default, and the raw topics a deployment creates and reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.errors import ConfigError
from streams.bindings import (
    ConnectorBinding,
    SenderBindings,
    bindings_for,
    catalogue_for,
    connector_principal,
    load_bindings,
    raw_specs,
)
from streams.settings import load_settings
from streams.synthetic import build_world
from streams.topics import CATALOGUE, RAW_SOURCES

GOOD = """\
connectors:
  - instance: epj
    source: epj
    senders: ["1301000"]
  - instance: epj-oslo
    source: epj
    senders: ["1301010", "1301011"]
"""


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bindings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_instance_keeps_its_familys_topic_and_others_get_their_own() -> None:
    default = ConnectorBinding("epj", "epj", frozenset({"1"}))
    oslo = ConnectorBinding("epj-oslo", "epj", frozenset({"1"}))
    assert (default.topic, default.principal) == ("raw.epj", "connector-epj")
    assert (oslo.topic, oslo.principal) == ("raw.epj.epj-oslo", "connector-epj-oslo")
    assert connector_principal("lab-ahus") == "connector-lab-ahus"


def test_a_file_binds_each_instances_topic_under_the_deployment_prefix(tmp_path: Path) -> None:
    bindings = SenderBindings(load_bindings(_file(tmp_path, GOOD)), "prod.")
    assert bindings.permitted("prod.raw.epj") == {"1301000"}
    assert bindings.permitted("prod.raw.epj.epj-oslo") == {"1301010", "1301011"}
    assert bindings.permitted("raw.epj") is None  # no prefix: another deployment's topic
    assert bindings.permitted("prod.raw.labresults") is None  # bound to no connector


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD + "  - instance: epj\n    source: epj\n    senders: ['1']\n", "bound twice"),
        ("connectors:\n  - {instance: x, source: radio, senders: ['1']}\n", "unknown source"),
        ("connectors:\n  - {instance: x, source: epj, senders: []}\n", "no sender"),
        ("connectors:\n  - {instance: x, source: epj, senders: ['12a4']}\n", "not digits"),
        ("connectors:\n  - {instance: x, source: epj, senders: [1234]}\n", "quoted string"),
        ("connectors:\n  - {instance: Oslo, source: epj, senders: ['1']}\n", "a-z, 0-9"),
        ("connectors:\n  - {instance: citizen, source: epj, senders: ['1']}\n", "default"),
        ("connectors:\n  - {instance: x, senders: ['1']}\n", "lacks source"),
        ("connectors:\n  - {instance: x, source: epj, senders: ['1'], topic: y}\n", "unknown"),
        ("connectors: []\n", "list of instances"),
        ("senders: ['1']\n", "list of instances"),
        ("connectors: [\n", "not valid YAML at line"),
    ],
)
def test_a_bad_bindings_file_names_the_setting_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_bindings(_file(tmp_path, text))
    assert caught.value.setting == "SAMFLYT_CONNECTOR_BINDINGS"
    assert problem in caught.value.problem


def test_a_missing_bindings_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_bindings(tmp_path / "absent.yaml")


def test_production_without_a_bindings_file_fails_closed(tmp_path: Path) -> None:
    # copied, not loaded: the other production checks of start-up are not this test's subject
    production = load_settings(environment="development").model_copy(
        update={"environment": "production"}
    )
    with pytest.raises(ConfigError) as caught:
        bindings_for(production)
    assert caught.value.setting == "SAMFLYT_CONNECTOR_BINDINGS"
    configured = production.model_copy(update={"connector_bindings": _file(tmp_path, GOOD)})
    assert bindings_for(configured).permitted("samflyt.raw.epj") == {"1301000"}


def test_the_local_default_binds_each_family_to_every_synthetic_party() -> None:
    bindings = bindings_for(load_settings(environment="development", topic_prefix="t."))
    world_senders = {p.her_id for p in build_world(seed=2, scale="region").parties}
    for source in RAW_SOURCES:
        permitted = bindings.permitted(f"t.raw.{source}")
        assert permitted is not None and world_senders <= permitted
    assert bindings.permitted("t.raw.epj") is bindings.permitted("t.raw.welfare")  # one set
    assert "999997" not in (bindings.permitted("t.raw.epj") or ())  # not a synthetic party


def test_a_deployment_creates_and_reads_the_raw_topic_of_each_bound_instance(
    tmp_path: Path,
) -> None:
    bindings = SenderBindings(load_bindings(_file(tmp_path, GOOD)), "samflyt.")
    raw = [spec.name for spec in raw_specs(bindings)]
    assert raw == [*(f"raw.{s}" for s in RAW_SOURCES), "raw.epj.epj-oslo"]
    catalogue = catalogue_for(bindings)
    assert [s.name for s in catalogue] == [*raw, *(s.name for s in CATALOGUE[len(RAW_SOURCES) :])]
    [oslo] = [s for s in catalogue if s.name == "raw.epj.epj-oslo"]
    [epj] = [s for s in CATALOGUE if s.name == "raw.epj"]
    assert (oslo.value_schema, oslo.readers, oslo.retention_ms) == (
        epj.value_schema,
        epj.readers,
        epj.retention_ms,
    )


def test_the_local_default_adds_no_topics() -> None:
    bindings = bindings_for(load_settings(environment="development"))
    assert catalogue_for(bindings) == CATALOGUE


def test_samflyt_topics_lists_the_raw_topic_of_each_bound_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streams.cli import main

    monkeypatch.setenv("SAMFLYT_ENVIRONMENT", "development")
    monkeypatch.setenv("SAMFLYT_CONNECTOR_BINDINGS", str(_file(tmp_path, GOOD)))
    assert main(["topics", "--json"]) == 0
    topics = [row["topic"] for row in json.loads(capsys.readouterr().out)]
    assert "samflyt.raw.epj.epj-oslo" in topics and "samflyt.raw.epj" in topics


def test_samflyt_topics_names_a_bad_bindings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from streams.cli import main

    monkeypatch.setenv("SAMFLYT_ENVIRONMENT", "development")
    monkeypatch.setenv("SAMFLYT_CONNECTOR_BINDINGS", str(_file(tmp_path, "connectors: []\n")))
    assert main(["topics"]) == 2
    assert "SAMFLYT_CONNECTOR_BINDINGS" in capsys.readouterr().err
