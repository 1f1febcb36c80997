"""Settings: every bad value fails at start with one line naming the key."""

from __future__ import annotations

import pytest

from core.config import SettingsError, load_settings


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RATE_LIMIT_USER", "lots"),
        ("RATE_LIMIT_CHANNEL", "0/minute"),
        ("RATE_LIMIT_STORAGE_URL", "memcached://x"),
        ("BUDGET_USER_DAILY_TOKENS", "-5"),
        ("BUDGET_TIMEZONE", "Mars/Olympus"),
        ("LOG_FORMAT", "xml"),
        ("MAX_MESSAGE_CHARS", "many"),
        ("DATABASE_URL", "mysql://x"),
        ("LLM_MAX_CONCURRENCY", "0"),
        ("SETTINGS_CACHE_SECONDS", "-1"),
        ("MODERATION_THRESHOLDS", "{not json"),
        ("MODERATION_THRESHOLDS", '{"rudeness": 0.5}'),
        ("MODERATION_THRESHOLDS", '{"hate": 2}'),
        ("MODERATION_INPUT_FAILURE", "sometimes"),
        ("MODERATION_ACTION", "redact"),
        ("MODERATION_ENABLED", "perhaps"),
        ("PII_REDACTION", "maybe"),
        ("BLOCKLIST", '["/([a-z]/"]'),
        ("ACCESS_DENY_USERS", "U1,<@U2>"),
        ("SUMMON_DEFAULT", "sometimes"),
        ("MAX_ANSWER_MESSAGES_DISCORD", "1"),
        ("BLOCKLIST", '["/(a|aa)+$/"]'),
        ("BLOCKLIST", "badword"),
        ("BLOCKLIST_ACTION", "flag"),
    ],
)
def test_a_bad_value_names_its_key_in_one_line(monkeypatch, key, value):
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert key in message and "\n" not in message


def test_limits_budgets_and_lists_parse(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_USER", "10/minute;100/day")
    monkeypatch.setenv("BUDGET_USER_DAILY_TOKENS", "none")
    monkeypatch.setenv("BUDGET_WORKSPACE_MONTHLY_USD", "0")
    monkeypatch.setenv("PARLEY_ADMINS", "U1, U2,")
    monkeypatch.setenv("MODEL_PRICES", '{"my-model": [1.5, 3]}')
    settings = load_settings(_env_file=None)
    assert settings.budget_user_daily_tokens is None and settings.budget_workspace_monthly_usd == 0
    assert settings.parley_admins == frozenset({"U1", "U2"})
    assert settings.model_prices == {"my-model": (1.5, 3.0)}


def test_filter_settings_parse(monkeypatch):
    monkeypatch.setenv("MODERATION_THRESHOLDS", '{"hate": 0.4, "*": 0.9}')
    monkeypatch.setenv("MODERATION_OUTPUT_FAILURE", "Open")
    monkeypatch.setenv("BLOCKLIST", '["falcon", "action=redact /\\\\d{3}-\\\\d{4}/"]')
    monkeypatch.setenv("PII_REDACTION", "false")
    settings = load_settings(_env_file=None)
    assert settings.moderation_thresholds == {"hate": 0.4, "*": 0.9}
    assert settings.moderation_output_failure == "open" and settings.moderation_input_failure == "open"
    assert settings.blocklist == ("falcon", "action=redact /\\d{3}-\\d{4}/")
    assert settings.pii_redaction is False and settings.moderation_model == "omni-moderation-latest"


def test_a_bad_blocklist_pattern_says_why(monkeypatch):
    monkeypatch.setenv("BLOCKLIST", '["ok", "/([a-z]/"]')
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None)
    assert "BLOCKLIST" in str(error.value) and "does not compile" in str(error.value)


def test_access_settings_parse(monkeypatch):
    monkeypatch.setenv("ACCESS_ALLOW_GROUPS", " S1 , 42 ")
    monkeypatch.setenv("SUMMON_DEFAULT", "Always")
    settings = load_settings(_env_file=None)
    assert settings.access_allow_groups == frozenset({"S1", "42"}) and settings.summon_default == "always"
    assert (settings.max_answer_messages_slack, settings.max_answer_messages_discord) == (4, 8)
