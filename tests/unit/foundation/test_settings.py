from __future__ import annotations

from pathlib import Path

import pytest

from schemas.errors import ConfigError
from streams.settings import DEV_AUDIT_KEY, DEV_PATIENT_KEY_SECRET, load_settings


def test_defaults_point_at_the_local_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAMFLYT_KAFKA_PORT", raising=False)
    settings = load_settings()
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.topic("raw.epj") == "samflyt.raw.epj"


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLYT_PARTITIONS", "8")
    assert load_settings().partitions == 8


def test_a_wrong_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLYT_KAFKA_BOOTSTRAP", "localhost")
    monkeypatch.setenv("SAMFLYT_PARTITIONS", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "SAMFLYT_KAFKA_BOOTSTRAP" in str(info.value)
    assert "SAMFLYT_PARTITIONS" in str(info.value)


def test_settings_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "samflyt.yaml"
    config.write_text("partitions: 6\ntopic_prefix: prod.\n")
    monkeypatch.setenv("SAMFLYT_CONFIG", str(config))
    monkeypatch.setenv("SAMFLYT_TOPIC_PREFIX", "env.")
    settings = load_settings()
    assert (settings.partitions, settings.topic_prefix) == (6, "env.")


def test_unknown_setting_in_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "samflyt.yaml"
    config.write_text("partitionz: 6\n")
    monkeypatch.setenv("SAMFLYT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="SAMFLYT_PARTITIONZ"):
        load_settings()


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ConfigError, match="PATIENT_KEY_SECRET"):
        load_settings(environment="production", patient_key_secret=DEV_PATIENT_KEY_SECRET)


SAFE = {
    "environment": "production",
    "patient_key_secret": "a-deployment-secret-of-at-least-32-bytes",
    "audit_key": "another-deployment-secret-of-32-bytes-or-more",
    "replication_factor": 3,
    "min_insync_replicas": 2,
    "connector_bindings": Path("bindings.yaml"),
}


def test_an_unset_environment_is_production_and_fails_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SAMFLYT_ENVIRONMENT", raising=False)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    for name in ("SAMFLYT_PATIENT_KEY_SECRET", "SAMFLYT_AUDIT_KEY", "SAMFLYT_REPLICATION_FACTOR",
                 "SAMFLYT_MIN_INSYNC_REPLICAS"):
        assert name in str(refused.value)
    assert "SAMFLYT_ENVIRONMENT=development" in str(refused.value)


def test_production_starts_with_safe_settings() -> None:
    assert load_settings(**SAFE).environment == "production"


@pytest.mark.parametrize(
    ("unsafe", "named"),
    [
        ({"kafka_security_protocol": "PLAINTEXT"}, "SAMFLYT_KAFKA_SECURITY_PROTOCOL"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "SAMFLYT_KAFKA_SECURITY_PROTOCOL"),
        ({"patient_key_secret": DEV_PATIENT_KEY_SECRET}, "SAMFLYT_PATIENT_KEY_SECRET"),
        ({"audit_key": DEV_AUDIT_KEY}, "SAMFLYT_AUDIT_KEY"),
        ({"audit_key": "short"}, "SAMFLYT_AUDIT_KEY"),
        ({"replication_factor": 2, "min_insync_replicas": 1}, "SAMFLYT_REPLICATION_FACTOR"),
        ({"min_insync_replicas": 1}, "SAMFLYT_MIN_INSYNC_REPLICAS"),
        ({"min_insync_replicas": 3}, "SAMFLYT_MIN_INSYNC_REPLICAS"),
        ({"connector_bindings": None}, "SAMFLYT_CONNECTOR_BINDINGS"),
    ],
)
def test_production_refuses_each_unsafe_setting_by_name(
    unsafe: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(**{**SAFE, **unsafe})


def test_development_may_ask_for_plaintext_explicitly() -> None:
    settings = load_settings(environment="development", kafka_security_protocol="PLAINTEXT")
    assert settings.kafka("samflyt-worker").options() == {
        "bootstrap_servers": settings.kafka_bootstrap, "security_protocol": "PLAINTEXT"
    }


def test_one_port_setting_moves_every_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SAMFLYT_KAFKA_PORT", "29999")
    monkeypatch.setenv("SAMFLYT_STATE_DIR", str(tmp_path))
    (tmp_path / "kafka" / "tls").mkdir(parents=True)
    (tmp_path / "kafka" / "tls" / "ca.pem").write_text("not read here")
    (tmp_path / "kafka" / "users").mkdir()
    settings = load_settings()
    assert settings.kafka_bootstrap == "127.0.0.1:29999"
    assert settings.kafka_ssl_cafile == tmp_path / "kafka" / "tls" / "ca.pem"
    assert settings.kafka_credentials_dir == tmp_path / "kafka" / "users"


def test_each_principal_logs_in_with_its_own_password_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SAMFLYT_KAFKA_SASL_PASSWORD", raising=False)
    (tmp_path / "samflyt-worker.password").write_text("worker-pw\n")
    settings = load_settings(kafka_credentials_dir=tmp_path, kafka_ssl_cafile=None)
    worker = settings.kafka("samflyt-worker").security
    assert (worker.username, worker.password) == ("samflyt-worker", "worker-pw")
    assert "worker-pw" not in repr(settings.kafka("samflyt-worker"))
    with pytest.raises(ConfigError, match=r"SAMFLYT_KAFKA_SASL_PASSWORD.*connector-epj"):
        settings.kafka("connector-epj")


def test_one_username_for_the_whole_process_wins_over_the_component_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAMFLYT_KAFKA_SASL_USERNAME", "oslo-epj")
    monkeypatch.setenv("SAMFLYT_KAFKA_SASL_PASSWORD", "s3cret")
    security = load_settings().kafka("connector-epj").security
    assert (security.username, security.password) == ("oslo-epj", "s3cret")


def test_producers_compress_with_zstd_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streams.app import create_app

    assert load_settings().compression_type == "zstd"
    monkeypatch.setenv("SAMFLYT_PRODUCER_COMPRESSION", "none")
    uncompressed = load_settings()
    assert uncompressed.compression_type is None
    assert create_app(uncompressed).conf.producer_compression_type is None
    monkeypatch.setenv("SAMFLYT_PRODUCER_COMPRESSION", "brotli")
    with pytest.raises(ConfigError, match="SAMFLYT_PRODUCER_COMPRESSION"):
        load_settings()


@pytest.mark.parametrize(("name", "loop_module"), [("uvloop", "uvloop"), ("asyncio", "asyncio")])
def test_the_worker_runs_on_the_chosen_event_loop(name: str, loop_module: str) -> None:
    import asyncio

    from streams.worker import use_event_loop

    try:
        use_event_loop(name)
        loop = asyncio.new_event_loop()
        try:
            assert type(loop).__module__.split(".")[0] == loop_module
        finally:
            loop.close()
    finally:
        asyncio.set_event_loop_policy(None)


async def test_a_worker_freezes_its_long_lived_objects_once_the_registry_is_loaded() -> None:
    import asyncio
    import gc

    from streams.worker import freeze_when_ready

    ready = asyncio.Event()
    waiting = asyncio.ensure_future(freeze_when_ready(ready))
    try:
        await asyncio.sleep(0.05)
        assert not waiting.done()  # nothing is frozen before the registry is there
        ready.set()
        frozen = await asyncio.wait_for(waiting, 10)
        assert frozen > 1000 and gc.get_freeze_count() > 1000  # modules alone are thousands
    finally:
        gc.unfreeze()


def test_durations_are_seconds_or_iso_and_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMFLYT_DEDUP_WINDOW", "3600")
    monkeypatch.setenv("SAMFLYT_OVERDUE_AFTER", "P2D")
    loaded = load_settings()
    assert loaded.dedup_window.total_seconds() == 3600
    assert loaded.overdue_after.days == 2
    monkeypatch.setenv("SAMFLYT_DEDUP_WINDOW", "-P7D")  # would switch duplicate detection off
    with pytest.raises(ConfigError, match="SAMFLYT_DEDUP_WINDOW"):
        load_settings()


def test_a_broken_settings_file_is_named_without_quoting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "a-patient-key-secret-nobody-may-read-0123456789"
    config = tmp_path / "samflyt.yaml"
    config.write_text(f'patient_key_secret: "{secret}"\nrules: [unclosed\n')
    monkeypatch.setenv("SAMFLYT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="not valid YAML at line") as info:
        load_settings()
    assert secret[:12] not in str(info.value)


def test_a_command_names_the_database_it_reaches_without_its_password() -> None:
    from streams.db import describe_database

    line = describe_database("postgresql://samflyt_app:s3cret@127.0.0.1:25432/samflyt?sslmode=verify-full")
    assert line == "PostgreSQL 127.0.0.1:25432/samflyt as samflyt_app"
    assert "s3cret" not in line
