"""One settings class for every process, read from the environment and `.env`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.files.values import DEFAULT_VISION_MODELS


class SettingsError(Exception):
    """A bad configuration value; the message is one line that names the key."""


# USD per million tokens: (prompt, completion). MODEL_PRICES in the environment
# replaces this table (JSON, e.g. {"gpt-4o-mini": [0.15, 0.6]}).
DEFAULT_MODEL_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}
NO_BUDGET_WORDS = frozenset({"none", "unlimited", "off"})


def _no_budget(value: object) -> object:
    """``none``/``unlimited``/``off`` mean no budget; ``0`` means nothing is allowed."""
    if isinstance(value, str) and value.strip().lower() in NO_BUDGET_WORDS:
        return None
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore", frozen=True
    )

    # LLM
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    default_model: str = Field(default="gpt-4o-mini", min_length=1)
    llm_timeout_seconds: float = Field(default=60.0, gt=0)  # per read: a server silent this long fails the call
    llm_total_timeout_seconds: float = Field(default=300.0, gt=0)  # a whole call, however it trickles
    llm_http_transport: Literal["aiohttp", "httpx"] = "aiohttp"  # the openai SDK's HTTP stack
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    # openai | local | auto (openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local)
    llm_provider: Literal["auto", "openai", "local"] = "auto"
    local_model_path: str | None = None  # a .gguf file; default: the bundled SmolLM2-135M-Instruct

    # Storage
    database_url: str = "sqlite+aiosqlite:///parley.db"

    # Logging
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Behaviour
    parley_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    max_message_chars: int = Field(default=16_000, ge=1, le=1_000_000)
    memory_summaries: bool = True
    retention_purge_interval_seconds: float = Field(default=3_600.0, gt=0)
    settings_cache_seconds: float = Field(default=30.0, ge=0, le=3_600)
    # Crash-safe delivery: how long a process's claim on a message lasts unrenewed (it renews every third),
    # and how often every process looks for messages whose owner went away.
    inbox_lease_seconds: float = Field(default=60.0, ge=0.5, le=3_600)
    recovery_interval_seconds: float = Field(default=30.0, ge=0.05, le=3_600)
    # Thread context: earlier messages of a thread Parley is mentioned in, read per request (0 messages: off)
    thread_context_max_messages: int = Field(default=50, ge=0, le=1_000)
    thread_context_max_chars: int = Field(default=20_000, ge=0, le=1_000_000)
    # Summaries ("@Parley summarize" in a thread): at most this many messages, characters, characters per message
    summary_max_messages: int = Field(default=500, ge=1, le=1_000)
    summary_max_chars: int = Field(default=60_000, ge=1, le=1_000_000)
    summary_message_max_chars: int = Field(default=2_000, ge=1, le=40_000)

    # Rate limits, budgets, upstream protection (see core/limits/)
    rate_limit_storage_url: str = "memory://"
    rate_limit_user: str = "20/minute;200/day"
    rate_limit_channel: str = "60/minute"
    rate_limit_workspace: str = "300/minute"
    rate_limit_exempt_admins: bool = False
    budget_instance_daily_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_instance_monthly_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_instance_daily_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_instance_monthly_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_workspace_daily_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_workspace_monthly_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_user_daily_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_user_monthly_tokens: Annotated[int | None, BeforeValidator(_no_budget)] = None
    budget_workspace_daily_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_workspace_monthly_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_user_daily_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_user_monthly_usd: Annotated[float | None, BeforeValidator(_no_budget)] = None
    budget_timezone: str = "UTC"
    model_prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_MODEL_PRICES))
    # Models a persona may name (comma-separated); empty: DEFAULT_MODEL and the models priced in MODEL_PRICES.
    allowed_models: Annotated[frozenset[str], NoDecode] = frozenset()
    persona_max_tokens: int = Field(default=4_096, ge=1, le=1_000_000)  # the most an admin may give a persona
    # Workspaces (Slack team ids, Discord guild ids; "dm" for Discord DMs) that may use Parley; empty: all.
    allowed_workspaces: Annotated[frozenset[str], NoDecode] = frozenset()
    llm_max_concurrency: int = Field(default=8, ge=1, le=1_000)
    llm_queue_max: int = Field(default=100, ge=0, le=100_000)
    llm_queue_timeout_seconds: float = Field(default=30.0, gt=0)

    # Content filters (see core/filters/)
    pii_redaction: bool = True
    blocklist: Annotated[tuple[str, ...], NoDecode] = ()
    blocklist_action: Literal["block", "redact"] = "block"
    moderation_enabled: bool = True
    moderation_model: str = Field(default="omni-moderation-latest", min_length=1)
    moderation_base_url: str | None = None
    moderation_api_key: str | None = None
    moderation_action: Literal["block", "flag"] = "block"
    moderation_thresholds: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    moderation_input_failure: Literal["open", "closed"] = "open"
    moderation_output_failure: Literal["open", "closed"] = "closed"
    blocklist_timeout_failure: Literal["open", "closed"] = "closed"  # a blocking regex that ran out of time
    moderation_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Who may use it and how it is summoned (see core/access/): ids, comma-separated, in every workspace, on
    # top of what admins set with /parley access. Empty allow lists: everyone, everywhere.
    access_allow_users: Annotated[frozenset[str], NoDecode] = frozenset()
    access_deny_users: Annotated[frozenset[str], NoDecode] = frozenset()
    access_allow_groups: Annotated[frozenset[str], NoDecode] = frozenset()  # Slack user groups, Discord roles
    access_deny_groups: Annotated[frozenset[str], NoDecode] = frozenset()
    access_allow_channels: Annotated[frozenset[str], NoDecode] = frozenset()
    access_deny_channels: Annotated[frozenset[str], NoDecode] = frozenset()
    summon_default: Literal["mention", "always", "off"] = "mention"  # a channel no admin has set
    # The most messages one answer may become before the rest goes into a file.
    # At least 2: the last message is the notice with the file.
    max_answer_messages_slack: int = Field(default=4, ge=2, le=50)
    max_answer_messages_discord: int = Field(default=8, ge=2, le=50)
    # Files and images attached to a message (core/files)
    attachment_max_file_bytes: int = Field(default=5_000_000, ge=1, le=100_000_000)  # larger: not downloaded
    attachment_max_file_chars: int = Field(default=20_000, ge=1, le=1_000_000)  # text taken from one file
    attachment_max_message_chars: int = Field(default=40_000, ge=1, le=1_000_000)  # ... from a message's files
    attachment_max_files: int = Field(default=10, ge=0, le=100)  # files read per message
    image_max_bytes: int = Field(default=10_000_000, ge=1, le=50_000_000)
    image_max_count: int = Field(default=4, ge=0, le=50)  # images sent with one message
    image_max_side: int = Field(default=2_048, ge=64, le=8_192)  # pixels; larger images are scaled down
    # Models that take images (comma-separated, * as wildcard), for personas with vision=auto.
    vision_models: Annotated[tuple[str, ...], NoDecode] = DEFAULT_VISION_MODELS
    # Tools through MCP (see core/tools/)
    mcp_servers_file: str | None = None  # JSON or TOML declaring the MCP servers; unset: no tools
    tool_max_rounds: int = Field(default=3, ge=1, le=20)  # tool rounds per answer
    tool_call_timeout_seconds: float = Field(default=30.0, gt=0, le=600)  # one tool call
    tool_result_max_chars: int = Field(default=8_000, ge=100, le=200_000)  # longer results are cut, with a note
    tool_approval_timeout_seconds: float = Field(default=120.0, gt=0, le=3_600)  # no click by then = declined

    # Slack adapter (bots/slack)
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # xapp-...: Socket Mode instead of HTTP
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65_535)
    # Slack installs for many workspaces (OAuth, HTTP mode): on when SLACK_CLIENT_ID is set (bots/slack/install.py)
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_token_encryption_key: Annotated[tuple[str, ...], NoDecode] = ()  # Fernet keys, newest first
    slack_redirect_uri: str | None = None  # https://your-host/slack/oauth_redirect (as in the app's settings)
    slack_scopes: Annotated[tuple[str, ...], NoDecode] = (
        "app_mentions:read", "assistant:write", "channels:history", "chat:write", "commands", "files:write",
        "channels:read", "files:read", "groups:history", "groups:read", "im:history", "im:write",
        "mpim:history", "mpim:read", "usergroups:read", "users:read",
    )  # the bot scopes an install asks for: the manifests' list
    slack_uninstall_grace_days: float = Field(default=30.0, ge=0, le=3_650)

    # Discord adapter (bots/discord)
    discord_bot_token: str | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_cdn_url: str = "https://cdn.discordapp.com"  # attachments are read from this host only
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    discord_guild_id: int | None = None

    # Shared by the adapters
    # /healthz, /readyz and /metrics for Socket Mode and Discord (Slack's HTTP mode serves them on PORT);
    # 0 picks a free port (logged as health.started).
    health_port: int = Field(default=8080, ge=0, le=65_535)
    # Traces (the otel extra): an OTLP/HTTP collector's base URL; unset, nothing is traced or imported.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None
    allow_bot_messages: bool = False
    stream_edit_interval_seconds: float = Field(default=1.0, ge=0.2, le=30)

    @field_validator("rate_limit_user", "rate_limit_channel", "rate_limit_workspace")
    @classmethod
    def _valid_limits(cls, value: str) -> str:
        from core.limits.parsing import parse_limits  # the limits library, lazily

        parse_limits(value)
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or redis://host:port/db")
        return value

    @field_validator(
        "budget_instance_daily_tokens", "budget_instance_monthly_tokens", "budget_instance_daily_usd",
        "budget_instance_monthly_usd", "budget_workspace_daily_tokens", "budget_workspace_monthly_tokens",
        "budget_user_daily_tokens",
        "budget_user_monthly_tokens", "budget_workspace_daily_usd", "budget_workspace_monthly_usd",
        "budget_user_daily_usd", "budget_user_monthly_usd",
    )
    @classmethod
    def _not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError("must be 0 (nothing allowed), a positive number, or none")
        return value

    @field_validator("budget_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @field_validator("blocklist", mode="before")
    @classmethod
    def _parse_blocklist(cls, value: object) -> object:
        from core.filters.blocklist import RuleInvalid, parse_rule

        if isinstance(value, str):
            value = _json_value(value, "a JSON list of patterns, like [\"badword\", \"/\\\\d{4}-\\\\d{4}/\"]")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a JSON list of patterns (strings)")
        for entry in value:
            try:
                parse_rule(entry, source="settings")
            except RuleInvalid as refused:
                raise ValueError(f"{entry!r}: {refused}") from None
        return tuple(value)

    @field_validator("moderation_thresholds", mode="before")
    @classmethod
    def _parse_thresholds(cls, value: object) -> object:
        from core.filters.moderation import ANY_CATEGORY, CATEGORIES

        if isinstance(value, str):
            value = _json_value(value, 'a JSON object of category → score, like {"hate": 0.5, "*": 0.8}')
        if not isinstance(value, dict):
            raise ValueError('must be a JSON object of category → score, like {"hate": 0.5}')
        for category, score in value.items():
            if category not in CATEGORIES and category != ANY_CATEGORY:
                raise ValueError(f"unknown moderation category {category!r} (known: {', '.join(CATEGORIES)}, or *)")
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 < score <= 1:
                raise ValueError(f"the threshold of {category!r} must be a number above 0 and at most 1")
        return {category: float(score) for category, score in value.items()}

    @field_validator(
        "blocklist_action", "moderation_action", "moderation_input_failure", "moderation_output_failure",
        "blocklist_timeout_failure", mode="before"
    )
    @classmethod
    def _lower_choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("vision_models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("parley_admins", "allowed_models", "allowed_workspaces", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value

    @field_validator("slack_token_encryption_key", mode="before")
    @classmethod
    def _fernet_keys(cls, value: object) -> object:
        from core.token_cipher import CipherKeyInvalid, parse_keys  # cryptography, lazily

        try:
            return parse_keys(value) if isinstance(value, str) else value
        except CipherKeyInvalid as exc:
            raise ValueError(str(exc)) from None

    @field_validator(
        "access_allow_users", "access_deny_users", "access_allow_groups", "access_deny_groups",
        "access_allow_channels", "access_deny_channels", mode="before",
    )
    @classmethod
    def _split_ids(cls, value: object) -> object:
        import re

        if isinstance(value, str):
            value = frozenset(part.strip() for part in value.split(",") if part.strip())
        for entry in value if isinstance(value, (set, frozenset, list, tuple)) else ():
            if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", str(entry)):
                raise ValueError(f"{str(entry)[:60]!r} is not an id (comma-separated ids, like U0123ABCD,U0456EFGH)")
        return value

    @field_validator("summon_default", mode="before")
    @classmethod
    def _lower_summon(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("llm_provider", mode="before")
    @classmethod
    def _lower_provider(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def resolved_llm_provider(self) -> Literal["openai", "local"]:
        """LLM_PROVIDER with ``auto`` decided: openai when a key or base URL is set, local otherwise."""
        if self.llm_provider == "auto":
            return "openai" if self.llm_configured else "local"
        return self.llm_provider


def _json_value(text: str, expected: str) -> object:
    import json

    if not text.strip():
        return [] if expected.startswith("a JSON list") else {}
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"must be {expected}") from None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation error into one line naming the key."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"Invalid setting {key}: {first['msg']}") from None
