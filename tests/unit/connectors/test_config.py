import pytest

from connectors.epj.filedrop import FileDropConfig
from connectors.sdk import ConnectorConfigError, RetryPolicy, validate_config


def test_every_problem_is_reported_naming_its_setting(tmp_path) -> None:
    raw = {
        "inbox": str(tmp_path / "missing"),
        "stable_for": -1,
        "retry": {"max_delay": 0},
        "surplus": 1,
    }
    with pytest.raises(ConnectorConfigError) as caught:
        validate_config("epj-filedrop", FileDropConfig, raw)
    settings = {p.setting for p in caught.value.problems}
    assert {"topic", "inbox", "stable_for", "retry.max_delay", "surplus"} <= settings
    assert "topic" in str(caught.value) and "epj-filedrop" in str(caught.value)


def test_not_a_mapping_is_a_problem_not_a_crash() -> None:
    with pytest.raises(ConnectorConfigError):
        validate_config("x", FileDropConfig, ["a"])  # type: ignore[arg-type]


def test_backoff_is_exponential_and_bounded() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=5, multiplier=2, max_attempts=6, jitter=0)
    assert list(policy.delays()) == [1, 2, 4, 5, 5]
    assert policy.exhausted(6) and not policy.exhausted(5)


def test_jitter_only_shortens_a_delay() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=1, jitter=0.5)
    assert policy.delay(3, rand=1.0) == 0.5 and policy.delay(3, rand=0.0) == 1.0


def test_max_delay_below_initial_delay_is_refused() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        validate_config(
            "x",
            FileDropConfig.model_fields["retry"].annotation,
            {  # type: ignore[arg-type]
                "initial_delay": 5,
                "max_delay": 1,
            },
        )
    assert "max_delay" in str(caught.value)
