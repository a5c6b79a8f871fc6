"""Writes the principal plan (:mod:`streams.principals`) to the broker, as its super user.

aiokafka has no ACL or SCRAM-user requests, so this uses confluent-kafka's admin client
(librdkafka), over the same TLS and SASL settings as every other client. Locally (``make up``)
``create_users`` also makes each principal's SCRAM user with a random password, written to the
credentials directory (one ``<principal>.password`` file, mode 0600) where the local clients
find it; a deployment creates its users where it manages identities (Strimzi ``KafkaUser``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from schemas.errors import ConfigError, SamflytError
from streams.principals import ADMIN, Grant
from streams.settings import ENV_PREFIX, Settings

SCRAM_ITERATIONS = 8192


class AclApplyError(SamflytError):
    """The broker refused part of the plan."""


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        ResourceType[grant.resource.value],
        grant.name,
        ResourcePatternType[grant.pattern.value],
        f"User:{grant.principal}",
        "*",
        AclOperation[grant.operation],
        AclPermissionType.ALLOW,
    )


def _admin_client(settings: Settings) -> AdminClient:
    kafka = settings.kafka(ADMIN)
    config: dict[str, Any] = {
        "bootstrap.servers": kafka.bootstrap,
        "client.id": "samflyt-acls",
        "log_level": 3,  # errors only: librdkafka's notices are not samflyt's log lines
        **kafka.security.librdkafka_options(),
    }
    return AdminClient(config)


def _wait(futures: dict[Any, Any], what: str) -> None:
    failed = []
    for key, future in futures.items():
        try:
            future.result(timeout=60)
        except KafkaException as exc:
            failed.append(f"{key}: {exc.args[0].str() if exc.args else exc}")
    if failed:
        raise AclApplyError(f"the broker refused {what}: " + "; ".join(failed[:5]))


def write_password(directory: Path, principal: str) -> str:
    """A new random password for ``principal`` in ``directory`` (mode 0600), or the one it
    already has there."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{principal}.password"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    password = secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    return password


def _create_users(client: AdminClient, directory: Path, users: Sequence[str]) -> list[str]:
    existing = set()
    try:
        described: dict[str, Any] = client.describe_user_scram_credentials(list(users))  # type: ignore[assignment]
        for user, future in described.items():
            try:
                if future.result(timeout=60).scram_credential_infos:
                    existing.add(user)
            except KafkaException:
                pass  # no such user yet
    except KafkaException:
        pass
    made = [u for u in users if u not in existing or not (directory / f"{u}.password").is_file()]
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            user,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
            write_password(directory, user).encode(),
        )
        for user in made
    ]
    if upserts:
        _wait(client.alter_user_scram_credentials(upserts), "creating SCRAM users")
    return made


def apply_grants(
    settings: Settings, grants: Sequence[Grant], create_users: bool = False
) -> list[str]:
    """The blocking form of :func:`apply_acls`."""
    client = _admin_client(settings)
    made: list[str] = []
    if create_users:
        directory = settings.kafka_credentials_dir
        if directory is None:
            raise ConfigError(
                f"{ENV_PREFIX}KAFKA_CREDENTIALS_DIR", "creating users needs a credentials directory"
            )
        made = _create_users(client, directory, sorted({g.principal for g in grants}))
    for i in range(0, len(grants), 500):
        _wait(client.create_acls([_binding(g) for g in grants[i : i + 500]]), "ACLs")
    if grants:
        _await_visible(client, grants[-1])
    return made


def _filter(grant: Grant) -> AclBindingFilter:
    b = _binding(grant)
    return AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host,
                            b.operation, b.permission_type)


def _await_visible(client: AdminClient, grant: Grant, deadline_s: float = 15.0) -> None:
    """Until the broker authorises with the last grant: the controller commits ACLs before the
    broker's authorizer has loaded them, and a client started at once was refused."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with contextlib.suppress(KafkaException):
            if client.describe_acls(_filter(grant)).result(timeout=10):
                return
        time.sleep(0.05)
    raise AclApplyError(f"the broker did not show the new ACLs within {deadline_s:.0f} s")


async def apply_acls(
    settings: Settings, grants: Sequence[Grant], *, create_users: bool = False
) -> list[str]:
    """Create every grant (existing ones are kept as they are); with ``create_users`` also
    the SCRAM users that have none. Returns the users created."""
    return await asyncio.to_thread(apply_grants, settings, list(grants), create_users)


def remove_grants(settings: Settings, grants: Iterable[Grant]) -> None:
    """The blocking form of :func:`remove_acls`."""
    client = _admin_client(settings)
    filters = [_filter(g) for g in grants]
    for i in range(0, len(filters), 500):
        _wait(client.delete_acls(filters[i : i + 500]), "deleting ACLs")


async def remove_acls(settings: Settings, grants: Iterable[Grant]) -> None:
    """Delete exactly these grants (a test prefix's, when its topics are deleted)."""
    await asyncio.to_thread(remove_grants, settings, list(grants))
