"""The pure decisions of least privilege in PostgreSQL: what the runtime role is granted, which
connections production refuses, which migrations are pending, and where the local database is."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from schemas.errors import ConfigError
from streams.db import MigrationError, _checksum, check_database, pending_migrations
from streams.db_privileges import RUNTIME_DML, runtime_grant_statements, runtime_privileges
from streams.db_safety import RoleFacts, role_refusal, sslmode, tls_refusal, url_user
from streams.local_postgres import OWNER_ROLE, RUNTIME_ROLE, local_database_url
from streams.registries.store import REGISTRY_TABLES
from streams.settings import load_settings

RUNTIME = RoleFacts(
    role="samflyt_app", superuser=False, schema="public", owns_schema=False, owned_tables=(),
    ssl=True,
)


# --- grants -------------------------------------------------------------------------------


def test_the_audit_log_is_insert_and_select_only_for_the_runtime_role() -> None:
    assert set(runtime_privileges("audit_log")) == {"SELECT", "INSERT"}


def test_the_migration_history_is_read_only_for_the_runtime_role() -> None:
    assert runtime_privileges("schema_migrations") == ("SELECT",)


def test_other_tables_get_dml_and_only_the_replaced_registry_tables_truncate() -> None:
    assert runtime_privileges("message_journey") == RUNTIME_DML
    assert runtime_privileges("a_table_added_later") == RUNTIME_DML
    for table in REGISTRY_TABLES:
        assert runtime_privileges(table) == (*RUNTIME_DML, "TRUNCATE")


def test_grants_revoke_first_and_cover_later_tables() -> None:
    sql = runtime_grant_statements("public", ["audit_log", "parties"], "samflyt_app")
    audit = [s for s in sql if '"audit_log"' in s]
    assert audit == [
        'REVOKE ALL ON TABLE "public"."audit_log" FROM "samflyt_app"',
        'GRANT SELECT, INSERT ON TABLE "public"."audit_log" TO "samflyt_app"',
    ]
    assert any(s.startswith("ALTER DEFAULT PRIVILEGES") and "ON TABLES" in s for s in sql)
    assert not any("UPDATE" in s and "audit_log" in s for s in sql)


def test_role_names_are_quoted_as_identifiers() -> None:
    sql = runtime_grant_statements("public", [], 'app"; DROP TABLE x; --')
    assert all('"app""; DROP TABLE x; --"' in s for s in sql if "TO" in s and "PUBLIC" not in s)


# --- production refusals ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require", "verify-ca"])
def test_production_refuses_tls_that_does_not_verify_the_server(mode: str) -> None:
    problem = tls_refusal(f"postgresql://app@db/samflyt?sslmode={mode}", {})
    assert problem and "sslmode=verify-full" in problem and f"uses sslmode={mode}" in problem


def test_an_url_without_sslmode_falls_back_to_pgsslmode_then_prefer() -> None:
    assert sslmode("postgresql://app@db/samflyt", {}) == "prefer"
    assert sslmode("postgresql://app@db/samflyt", {"PGSSLMODE": "verify-full"}) == "verify-full"
    assert tls_refusal("postgresql://app@db/samflyt", {"PGSSLMODE": "verify-full"}) is None
    assert tls_refusal("postgresql://app@db/s?sslmode=require", {"PGSSLMODE": "verify-full"})


def test_production_accepts_the_runtime_role_over_verified_tls() -> None:
    assert tls_refusal("postgresql://app@db/samflyt?sslmode=verify-full", {}) is None
    assert role_refusal(RUNTIME) is None


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        (RoleFacts("postgres", True, "public", True, ("audit_log",), True), "superuser"),
        (RoleFacts("samflyt_owner", False, "public", True, (), True), "owns schema public"),
        (RoleFacts("x", False, "public", False, ("audit_log",), True), "owns tables (audit_log)"),
        (RoleFacts("samflyt_app", False, "public", False, (), False), "not encrypted"),
    ],
)
def test_production_refuses_a_role_that_can_bypass_or_rewrite(facts: RoleFacts, words: str) -> None:
    problem = role_refusal(facts)
    assert problem and words in problem


def test_the_role_comes_from_the_url() -> None:
    assert url_user("postgresql://samflyt_app@127.0.0.1:1/s?sslmode=verify-full") == "samflyt_app"
    assert url_user("postgresql://a%40b:pw@h/s") == "a@b"
    assert url_user("postgresql://h/s") is None


def test_production_start_up_refuses_unverified_tls_before_connecting() -> None:
    settings = load_settings(
        database_url="postgresql://samflyt_app@127.0.0.1:1/samflyt?sslmode=require"
    ).model_copy(update={"environment": "production"})
    with pytest.raises(ConfigError) as refused:  # port 1: a connection attempt would fail
        asyncio.run(check_database(settings, environ={}))
    assert refused.value.setting == "SAMFLYT_DATABASE_URL"


# --- migrations ---------------------------------------------------------------------------

FILES = [(1, "0001_a.sql", "CREATE TABLE a ();"), (2, "0002_b.sql", "CREATE TABLE b ();")]


def test_pending_migrations_are_the_files_not_applied() -> None:
    applied = {1: ("0001_a.sql", _checksum(FILES[0][2]))}
    assert [name for _, name, _ in pending_migrations(applied, FILES)] == ["0002_b.sql"]
    assert pending_migrations({}, FILES) == FILES


def test_a_changed_or_unknown_applied_migration_is_refused() -> None:
    with pytest.raises(MigrationError, match=r"0001_a\.sql was changed"):
        pending_migrations({1: ("0001_a.sql", "other")}, FILES)
    with pytest.raises(MigrationError, match=r"0003_c\.sql"):
        pending_migrations({3: ("0003_c.sql", "x")}, FILES)


# --- the local default ------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_local_urls_follow_the_infra_environment() -> None:
    env = {"SAMFLYT_STATE_DIR": "/srv/samflyt state", "SAMFLYT_PG_PORT": "25432"}
    url = local_database_url(RUNTIME_ROLE, env, is_root=False)
    parts = urlsplit(url)
    assert (parts.username, parts.password, parts.port) == (RUNTIME_ROLE, None, 25432)
    assert _query(url) == {
        "sslmode": "verify-full",
        "sslrootcert": "/srv/samflyt state/postgres/tls/ca.crt",
        "passfile": f"/srv/samflyt state/postgres/secrets/{RUNTIME_ROLE}.pgpass",
    }
    assert urlsplit(local_database_url(OWNER_ROLE, env, is_root=False)).username == OWNER_ROLE


def test_the_local_state_dir_defaults_as_env_sh_does() -> None:
    home = {"HOME": "/home/kari"}
    url = local_database_url(RUNTIME_ROLE, home, is_root=False)
    assert urlsplit(url).port == 15432
    assert _query(url)["sslrootcert"] == "/home/kari/.local/state/samflyt/postgres/tls/ca.crt"
    xdg = {**home, "XDG_STATE_HOME": "/x", "SAMFLYT_STATE_DIR": ""}
    assert _query(local_database_url(RUNTIME_ROLE, xdg, is_root=False))["sslrootcert"].startswith(
        "/x/samflyt/"
    )
    assert _query(local_database_url(RUNTIME_ROLE, home, is_root=True))["passfile"].startswith(
        "/var/lib/samflyt/postgres/"
    )


def test_the_settings_defaults_are_the_local_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SAMFLYT_DATABASE_URL", "SAMFLYT_DATABASE_OWNER_URL", "SAMFLYT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAMFLYT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("SAMFLYT_PG_PORT", "25432")
    settings = load_settings()
    assert settings.database_url.get_secret_value() == local_database_url(RUNTIME_ROLE)
    assert settings.database_owner_url.get_secret_value() == local_database_url(OWNER_ROLE)
    assert urlsplit(settings.database_url.get_secret_value()).port == 25432
    assert str(tmp_path) in _query(settings.database_owner_url.get_secret_value())["passfile"]


# --- which commands check the database at start -------------------------------------------


@pytest.mark.parametrize(
    ("argv", "checked"),
    [
        (["trace", "m-1"], True),
        (["dlq", "list"], True),
        (["audit", "verify"], True),
        (["connectors", "run", "kjernejournal-outbox", "--config", "c.yaml"], True),
        (["connectors", "run", "message-store", "--config", "c.yaml"], False),
        (["parse", "m.xml"], False),
        (["migrate"], False),  # it brings the schema up to date, as the owner
    ],
)
def test_commands_that_use_the_database_check_it_first(argv: list[str], checked: bool) -> None:
    from streams.cli import _database_to_check, build_parser

    parser, _ = build_parser()
    settings = load_settings()
    assert (_database_to_check(parser.parse_args(argv), settings) is not None) == checked


@pytest.mark.parametrize(("action", "role"), [("url", RUNTIME_ROLE), ("owner-url", OWNER_ROLE)])
def test_the_infra_script_prints_the_urls_samflyt_derives(
    action: str, role: str, tmp_path: Path
) -> None:
    """One local database, one way to reach it: the script and the settings agree."""
    import os
    import subprocess

    env = {**os.environ, "SAMFLYT_STATE_DIR": str(tmp_path / "a b"), "SAMFLYT_PG_PORT": "25999"}
    script = Path(__file__).resolve().parents[3] / "infra" / "postgres" / "postgres.sh"
    printed = subprocess.run(
        ["bash", str(script), action], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == local_database_url(role, env)
