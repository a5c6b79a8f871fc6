"""Which senders a raw topic may carry: each connector instance writes its own raw topic (only
its Kafka principal may, by ACL), and is bound to the sender HER-ids it may speak for.

Kafka does not tell a consumer who produced a record, so the topic is the proof of origin: the
validate stage refuses a record whose MsgHead sender is not bound to the topic it came on.
The bindings are data, in one YAML file (``SAMFLYT_CONNECTOR_BINDINGS``)::

    connectors:
      - instance: epj-oslo          # its topic: raw.epj.epj-oslo, its principal: connector-epj-oslo
        source: epj
        senders: ["1301000", "1301010"]

Pure apart from :func:`load_bindings` reading that file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from connectors.principals import connector_principal
from schemas.errors import ConfigError
from streams.topics import CATALOGUE, RAW_SOURCES, TopicSpec, raw_spec

if TYPE_CHECKING:
    from streams.settings import Settings

__all__ = [
    "SETTING",
    "ConnectorBinding",
    "SenderBindings",
    "bindings_for",
    "catalogue_for",
    "connector_principal",
    "default_bindings",
    "load_bindings",
    "raw_specs",
    "raw_topic_name",
]

SETTING = "SAMFLYT_CONNECTOR_BINDINGS"
_INSTANCE = re.compile(r"^[a-z0-9-]{1,64}$")
_HER_ID = re.compile(r"^[0-9]{1,20}$")


def raw_topic_name(source: str, instance: str) -> str:
    """Catalogue name of an instance's raw topic. The default instance of a family (named as the
    family) keeps the family's topic, so existing deployments keep their names."""
    return f"raw.{source}" if instance == source else f"raw.{source}.{instance}"


@dataclass(frozen=True, slots=True)
class ConnectorBinding:
    """One connector instance: the source family it belongs to and whom it may speak for."""

    instance: str
    source: str
    senders: frozenset[str]

    def __post_init__(self) -> None:
        if not _INSTANCE.match(self.instance):
            raise ValueError(
                f"instance {self.instance!r} must be 1-64 of a-z, 0-9 and '-' (it names a topic"
                " and a principal)"
            )
        if self.source not in RAW_SOURCES:
            raise ValueError(
                f"unknown source {self.source!r}; choose one of {', '.join(RAW_SOURCES)}"
            )
        if self.instance in RAW_SOURCES and self.instance != self.source:
            raise ValueError(
                f"instance {self.instance!r} is the name of the {self.instance} family's default"
                f" instance, not one of {self.source}"
            )
        if not self.senders:
            raise ValueError(f"instance {self.instance!r} may speak for no sender: list them")
        for her_id in sorted(self.senders):
            if not _HER_ID.match(her_id):
                raise ValueError(f"sender HER-id {her_id!r} of {self.instance!r} is not digits")

    @property
    def topic(self) -> str:
        """Catalogue name (without the deployment prefix) of the raw topic it writes."""
        return raw_topic_name(self.source, self.instance)

    @property
    def principal(self) -> str:
        return connector_principal(self.instance)


@dataclass(frozen=True)
class SenderBindings:
    """The bindings of one deployment, looked up by full topic name (prefix applied)."""

    bindings: tuple[ConnectorBinding, ...]
    topic_prefix: str
    _by_topic: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_topic: dict[str, frozenset[str]] = {}
        seen: set[str] = set()
        for binding in self.bindings:
            if binding.instance in seen:
                raise ValueError(f"instance {binding.instance!r} is bound twice")
            seen.add(binding.instance)
            by_topic[self.topic_prefix + binding.topic] = binding.senders
        object.__setattr__(self, "_by_topic", by_topic)

    def permitted(self, full_topic: str) -> frozenset[str] | None:
        """The sender HER-ids records on ``full_topic`` may carry; None: the topic is bound to
        no connector (nothing on it is trusted)."""
        return self._by_topic.get(full_topic)


@cache
def default_bindings() -> tuple[ConnectorBinding, ...]:
    """Outside production without a file: each family's default instance, each speaking for
    every HER-id of the synthetic worlds (the demo, the tests and the benchmarks send as them).
    Computed once per process."""
    from streams.synthetic.registry import synthetic_her_ids  # only where it is the default

    senders = synthetic_her_ids()
    return tuple(ConnectorBinding(source, source, senders) for source in RAW_SOURCES)


def bindings_for(settings: Settings) -> SenderBindings:
    """The deployment's bindings: the configured file, or the synthetic default outside
    production. Production without a file fails closed (ConfigError naming the setting)."""
    if settings.connector_bindings is not None:
        bindings = load_bindings(settings.connector_bindings)
    elif settings.environment == "production":
        raise ConfigError(
            SETTING,
            "production needs a connector bindings file saying which sender HER-ids each"
            " connector instance may speak for",
        )
    else:
        bindings = default_bindings()
    return SenderBindings(bindings, settings.topic_prefix)


def load_bindings(path: Path) -> tuple[ConnectorBinding, ...]:
    """Read a bindings file; any problem is a ConfigError naming the setting, the file and the
    entry (never the file's text)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(SETTING, f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(SETTING, f"{path} is not valid YAML{where}") from None
    entries = data.get("connectors") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(SETTING, f"{path} must hold 'connectors:', a list of instances")
    bindings = tuple(_binding(path, n, entry) for n, entry in enumerate(entries, start=1))
    try:
        SenderBindings(bindings, "")
    except ValueError as exc:
        raise ConfigError(SETTING, f"{path}: {exc}") from None
    return bindings


_KEYS = frozenset({"instance", "source", "senders"})


def _binding(path: Path, n: int, entry: Any) -> ConnectorBinding:
    where = f"{path}: connector {n}"
    if not isinstance(entry, dict):
        raise ConfigError(SETTING, f"{where} must be a mapping of instance, source, senders")
    if missing := sorted(_KEYS - entry.keys()):
        raise ConfigError(SETTING, f"{where} lacks {', '.join(missing)}")
    if unknown := sorted(str(k) for k in entry.keys() - _KEYS):
        raise ConfigError(SETTING, f"{where} has unknown keys {', '.join(unknown)}")
    senders = entry["senders"]
    if not isinstance(senders, list):
        raise ConfigError(SETTING, f"{where}: senders must be a list of HER-ids")
    for her_id in senders:
        if not isinstance(her_id, str):  # YAML reads 0123 as 83: a HER-id must be quoted
            raise ConfigError(
                SETTING, f"{where}: sender HER-id {her_id!r} must be a quoted string of digits"
            )
    try:
        return ConnectorBinding(str(entry["instance"]), str(entry["source"]), frozenset(senders))
    except ValueError as exc:
        raise ConfigError(SETTING, f"{where}: {exc}") from None


def raw_specs(bindings: SenderBindings) -> tuple[TopicSpec, ...]:
    """Every raw topic of the deployment: the catalogue's (one per family, bound or not, so a
    record written there is refused rather than left unread) and each bound instance's own."""
    defaults = tuple(spec for spec in CATALOGUE if spec.name.startswith("raw."))
    known = {spec.name for spec in defaults}
    extra = tuple(raw_spec(b.topic, b.source) for b in bindings.bindings if b.topic not in known)
    return (*defaults, *extra)


def catalogue_for(bindings: SenderBindings) -> tuple[TopicSpec, ...]:
    """The topic catalogue of the deployment: :data:`CATALOGUE` with the instances' raw topics
    after the family topics."""
    raw = raw_specs(bindings)
    return (*raw, *(spec for spec in CATALOGUE if not spec.name.startswith("raw.")))
