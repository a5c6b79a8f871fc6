from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.db import MigrationError, migration_files
from streams.settings import load_settings
from streams.topics import BY_NAME, CATALOGUE, CareLevel, NationalService, delivery_topic


def test_topic_names_are_unique_and_every_care_level_has_a_delivery_topic() -> None:
    names = [t.name for t in CATALOGUE]
    assert len(names) == len(set(names))
    for level in CareLevel:
        if level is CareLevel.NATIONAL:
            for service in NationalService:
                assert delivery_topic(level, service) in names
        else:
            assert delivery_topic(level) in names


def test_registries_are_compacted_and_raw_topics_are_not() -> None:
    by_name = {t.name: t for t in CATALOGUE}
    assert by_name["registry.parties"].config()["cleanup.policy"] == "compact"
    assert by_name["raw.epj"].config()["cleanup.policy"] == "delete"


def test_repository_migrations_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in migration_files(load_settings().migrations_dir)]
    assert versions == list(range(1, len(versions) + 1))


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        migration_files(tmp_path)


def test_raw_topics_are_keyed_as_the_connectors_key_them() -> None:
    from connectors._envelope import read_envelope, to_record
    from connectors.kjernejournal import OutboxRow, map_row
    from tests.unit.connectors.messages import DIALOG_SENDER, dialog

    data = dialog()
    assert to_record(data, read_envelope(data)).key == DIALOG_SENDER.encode()
    assert BY_NAME["raw.epj"].key.startswith("sender HER-id")
    row = OutboxRow(1, "event-1", "SAMFLYT_KJ_KRITISK_INFO", "pk-1", b"<x/>")
    assert map_row(row).key == b"pk-1"
    assert BY_NAME["raw.kjernejournal"].key.startswith("pseudonymous patient key")


def test_the_connector_guide_names_the_catalogue_key_of_every_raw_topic() -> None:
    guide = (Path(__file__).resolve().parents[3] / "docs" / "connectors.md").read_text()
    documented = dict(re.findall(r"^\| `samflyt\.(raw\.\w+)` \| ([^|]+?) \|$", guide, re.M))
    raw = {t.name: t.key for t in CATALOGUE if t.name.startswith("raw.")}
    assert documented == raw
