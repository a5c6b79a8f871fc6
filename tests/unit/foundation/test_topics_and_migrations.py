from __future__ import annotations

from pathlib import Path

import pytest

from streams.db import MigrationError, migration_files
from streams.settings import load_settings
from streams.topics import CATALOGUE, CareLevel, NationalService, delivery_topic


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
