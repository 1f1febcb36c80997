"""structlog, configured once per process, with secrets masked in every event."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"sk-[A-Za-z0-9_\-]{16,}"),  # OpenAI keys (sk-..., sk-proj-...)
    re.compile(r"xox[abposr]-[A-Za-z0-9\-]{8,}"),  # Slack bot/user/app tokens
    re.compile(r"xapp-[A-Za-z0-9\-]{8,}"),  # Slack app-level tokens
    re.compile(r"[MNO][A-Za-z\d_\-]{23,27}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,40}"),  # Discord bot tokens
    re.compile(r"\b(?i:Bearer|Bot|Basic)\s+[A-Za-z0-9._~+/=\-]{8,}"),  # Authorization header values
)
# Any of them, in one pass: most values of most events hold none, and are then left as they are after one
# search instead of a substitution per pattern. No secret above is shorter than "Bot " and 8 characters.
ANY_SECRET = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in SECRET_PATTERNS))
SHORTEST_SECRET = 12
SECRET_KEYS = frozenset({"authorization", "api_key", "openai_api_key", "token", "password", "secret"})
MASK = "***"


def one_line(error: BaseException, *, limit: int = 200) -> str:
    """An error's message for a log field or a one-line notice: whitespace folded, at most ``limit`` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mask_secrets_in(text: str) -> str:
    if len(text) < SHORTEST_SECRET or ANY_SECRET.search(text) is None:
        return text
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_secrets_in(value)
    if isinstance(value, dict):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def mask_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: no token, key or Authorization value leaves the process."""
    return _mask(event_dict)


def configure_logging(*, log_format: str = "console", level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog and stdlib logging once, for the whole process.

    Parley's own events (loggers under ``core`` and ``bots``) go out at
    ``level``; libraries (openai, sqlalchemy, discord, slack) at WARNING unless
    debugging.  Both pass through the same processors: one format, secrets
    masked.  Logs go to stderr so that the terminal chat's stdout carries only
    the chat.
    """
    level_no = logging.getLevelName(level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level_no),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if level_no <= logging.DEBUG else logging.WARNING)
    for ours in ("core", "bots"):
        logging.getLogger(ours).setLevel(level_no)
