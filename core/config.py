"""One settings class for every process, read from the environment and `.env`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A bad configuration value; the message is one line that names the key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore", frozen=True
    )

    # LLM
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    default_model: str = Field(default="gpt-4o-mini", min_length=1)
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)

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

    # Slack adapter (bots/slack)
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # xapp-...: Socket Mode instead of HTTP
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=1, le=65_535)

    # Discord adapter (bots/discord)
    discord_bot_token: str | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    discord_guild_id: int | None = None

    # Shared by the adapters
    allow_bot_messages: bool = False
    stream_edit_interval_seconds: float = Field(default=1.0, ge=0.2, le=30)

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("parley_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

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

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation error into one line naming the key."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"Invalid setting {key}: {first['msg']}") from None
