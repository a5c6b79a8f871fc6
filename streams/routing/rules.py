"""The routing rule set: a versioned YAML file, parsed and validated into immutable values.

A rule says: for these message types, send to these recipients (a *target*), with this reason,
under these conditions, at this priority. Targets resolve against the registry at evaluation
time (:mod:`streams.routing.evaluate`). *Effects* change per-patient state (an admission starts
a care relationship, a discharge ends it); *expectations* say which requests await an answer.
A running worker re-reads the file when it changes (:class:`RuleSetSource`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from schemas.errors import ConfigError

log = logging.getLogger(__name__)


class Target(StrEnum):
    ADDRESSED = "addressed"  # the primary receiver of the message
    COPY_RECEIVERS = "copy_receivers"
    PATIENT_GP = "patient_gp"  # the patient's regular GP (fastlege), from the GP register
    CARE_RELATIONSHIPS = "care_relationships"  # parties with an active care relationship
    NATIONAL_SERVICE = "national_service"  # the service named in the rule
    CITIZEN = "citizen"  # the patient and relatives with proxy rights, via the citizen portal


REASON_OF_TARGET: Mapping[Target, str] = {
    Target.ADDRESSED: "ADDRESSED",
    Target.COPY_RECEIVERS: "COPY_RECEIVER",
    Target.PATIENT_GP: "PATIENT_GP",
    Target.CARE_RELATIONSHIPS: "CARE_RELATIONSHIP",
    Target.NATIONAL_SERVICE: "NATIONAL_SERVICE",
    Target.CITIZEN: "CITIZEN",
}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    types: frozenset[str]  # "*" matches every type
    target: Target
    except_types: frozenset[str] = frozenset()
    priority: str = "normal"
    service: str | None = None  # national-service topic suffix, for NATIONAL_SERVICE
    kinds: frozenset[str] = frozenset()  # party kinds for CARE_RELATIONSHIPS (empty = all)
    care_levels: frozenset[str] = frozenset()  # care levels for CARE_RELATIONSHIPS (empty = all)
    relationship_reasons: frozenset[str] = frozenset()  # e.g. medication_administration
    unless_addressed: bool = False  # e.g. the GP gets a copy only when not the requester
    withheld_categories: frozenset[str] = frozenset()  # result categories refused to the target
    requires_core_journal: bool = False  # refused when the patient opted out of Kjernejournal

    def matches(self, msg_type: str) -> bool:
        if msg_type in self.except_types:
            return False
        return "*" in self.types or msg_type in self.types


@dataclass(frozen=True, slots=True)
class Effect:
    """A change of per-patient state caused by a message type."""

    types: frozenset[str]
    start_relationship: str | None = None  # "receiver" or "sender" gains a care relationship
    end_relationship: str | None = None  # "receiver" or "sender" loses it
    kind: str = "admission"


@dataclass(frozen=True, slots=True)
class Expectation:
    """A request type that must be answered by one of ``answered_by`` within the deadline."""

    types: frozenset[str]
    answered_by: frozenset[str]
    new_conversations_only: bool = False  # only a message that starts a conversation awaits


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    effects: tuple[Effect, ...] = ()
    expectations: tuple[Expectation, ...] = ()

    def rules_for(self, msg_type: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.matches(msg_type))

    def expectation_for(self, msg_type: str, starts_conversation: bool) -> Expectation | None:
        return next(
            (
                e
                for e in self.expectations
                if msg_type in e.types and (starts_conversation or not e.new_conversations_only)
            ),
            None,
        )

    def answers(self, msg_type: str) -> bool:
        return any(msg_type in e.answered_by for e in self.expectations)


def _types(raw: Any, groups: Mapping[str, list[str]], where: str) -> frozenset[str]:
    out = _expand(raw, groups, where)
    if not out:
        raise ConfigError(where, "no message types")
    return out


def _expand(raw: Any, groups: Mapping[str, list[str]], where: str) -> frozenset[str]:
    """A list of names where ``group:NAME`` stands for the members of a group."""
    items = [raw] if isinstance(raw, str) else list(raw or [])
    out: set[str] = set()
    for item in items:
        if isinstance(item, str) and item.startswith("group:"):
            name = item.removeprefix("group:")
            if name not in groups:
                raise ConfigError(where, f"unknown type group {name!r}")
            out.update(groups[name])
        else:
            out.add(str(item))
    return frozenset(out)


def parse_rule_set(data: Mapping[str, Any], source: str = "rules") -> RuleSet:
    """Validate a rule-set mapping; every problem names the rule it is in."""
    if not isinstance(data, Mapping) or "version" not in data:
        raise ConfigError(source, "a rule set needs a version and rules")
    groups: Mapping[str, list[str]] = data.get("groups") or {}
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("rules") or []):
        where = f"{source}: rule {raw.get('id', i)!r}"
        if raw.get("id") in seen or not raw.get("id"):
            raise ConfigError(where, "every rule needs a unique id")
        seen.add(raw["id"])
        try:
            target = Target(raw["to"])
        except (KeyError, ValueError):
            raise ConfigError(where, f"'to' must be one of {[t.value for t in Target]}") from None
        if target is Target.NATIONAL_SERVICE and not raw.get("service"):
            raise ConfigError(where, "a national_service rule needs 'service'")
        rules.append(
            Rule(
                id=raw["id"],
                types=_types(raw.get("types"), groups, where),
                target=target,
                priority=str(raw.get("priority", "normal")),
                service=raw.get("service"),
                except_types=_expand(raw.get("except"), groups, where),
                kinds=_expand(raw.get("kinds"), groups, where),
                care_levels=_expand(raw.get("care_levels"), groups, where),
                relationship_reasons=_expand(raw.get("relationship_reasons"), groups, where),
                unless_addressed=bool(raw.get("unless_addressed", False)),
                withheld_categories=_expand(raw.get("withheld_categories"), groups, where),
                requires_core_journal=bool(raw.get("requires_core_journal", False)),
            )
        )
    effects = tuple(
        Effect(
            types=_types(e.get("types"), groups, f"{source}: effect {i}"),
            start_relationship=e.get("start_relationship"),
            end_relationship=e.get("end_relationship"),
            kind=str(e.get("kind", "admission")),
        )
        for i, e in enumerate(data.get("effects") or [])
    )
    expectations = tuple(
        Expectation(
            types=_types(e.get("types"), groups, f"{source}: expectation {i}"),
            answered_by=_types(e.get("answered_by"), groups, f"{source}: expectation {i}"),
            new_conversations_only=bool(e.get("new_conversations_only", False)),
        )
        for i, e in enumerate(data.get("expectations") or [])
    )
    return RuleSet(str(data["version"]), tuple(rules), effects, expectations)


def load_rule_set(path: Path) -> RuleSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("SAMFLYT_ROUTING_RULES", f"cannot read {path}: {exc}") from exc
    try:
        return parse_rule_set(data, source=str(path.name))
    except ConfigError:
        raise
    except Exception as exc:  # a shape the checks did not foresee (a rule that is a string…)
        raise ConfigError(
            str(path.name), f"malformed rule set ({type(exc).__name__}: {exc})"
        ) from exc


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class RuleSetSource:
    """The current rule set of a running worker, re-read when the file changes on disk.

    A changed file that fails validation is logged and ignored: the worker keeps routing with the
    last good rule set rather than stopping the flow.
    """

    def __init__(self, path: Path, *, check_interval: float = 1.0) -> None:
        self.path = path
        self.check_interval = check_interval
        self._digest = _digest(path)
        self._checked = time.monotonic()
        self._current = load_rule_set(path)

    @property
    def current(self) -> RuleSet:
        now = time.monotonic()
        if now - self._checked < self.check_interval:
            return self._current
        self._checked = now
        digest = _digest(self.path)
        if digest is not None and digest != self._digest:
            self._digest = digest
            try:
                self._current = load_rule_set(self.path)
                log.info("routing rules reloaded", extra={"version": self._current.version})
            except ConfigError as exc:
                log.error(
                    "routing rules invalid; keeping the previous set",
                    extra={"problem": str(exc), "version": self._current.version},
                )
        return self._current
