"""The content filters as the settings ask for them: the defaults, and the moderation endpoint (or none)."""

from __future__ import annotations

import structlog

from core.config import Settings
from core.filters.blocklist import parse_rule
from core.filters.moderation import NoModeration
from core.filters.openai_moderation import OpenAIModeration
from core.filters.policy import FilterDefaults
from core.ports import Moderator

log = structlog.get_logger(__name__)


def filter_defaults(settings: Settings) -> FilterDefaults:
    return FilterDefaults(
        pii="redact" if settings.pii_redaction else "off",
        blocklist=settings.blocklist_action,
        moderation=settings.moderation_action if settings.moderation_enabled else "off",
        moderation_action=settings.moderation_action,
        rules=tuple(parse_rule(entry, source="settings") for entry in settings.blocklist),
        input_failure=settings.moderation_input_failure,
        output_failure=settings.moderation_output_failure,
        blocklist_timeout=settings.blocklist_timeout_failure,
    )


def moderator_for(settings: Settings) -> Moderator:
    """OpenAI's (or a compatible server's) moderation endpoint, or none when there cannot be one.

    MODERATION_BASE_URL, else the LLM's OpenAI-compatible base URL; the bundled local model
    (LLM_PROVIDER=local) has no endpoint unless MODERATION_BASE_URL points at one.
    """
    if not settings.moderation_enabled:
        return NoModeration("turned off (MODERATION_ENABLED=false)")
    if settings.moderation_base_url is None and settings.resolved_llm_provider == "local":
        return NoModeration("the bundled local model has no moderation endpoint (set MODERATION_BASE_URL for one)")
    return OpenAIModeration(
        api_key=settings.moderation_api_key or settings.openai_api_key,
        base_url=settings.moderation_base_url or settings.openai_base_url,
        model=settings.moderation_model,
        thresholds=settings.moderation_thresholds,
        timeout=settings.moderation_timeout_seconds,
        max_retries=min(settings.llm_max_retries, 2),
        transport=settings.llm_http_transport,
    )

async def start_moderation(moderator: Moderator, settings: Settings) -> None:
    """Find out once whether moderation is there; say so (a warning) when it is not but was asked for."""
    availability = await moderator.probe()
    if not availability.available and settings.moderation_enabled and isinstance(moderator, NoModeration):
        log.warning("moderation.unavailable", reason=availability.reason)
