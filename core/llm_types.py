"""What the core asks of an LLM and the errors a provider may raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call: its name as the model sees it, what it does, its JSON schema."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for (assembled from the stream's tool-call deltas); ``arguments`` is JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image that goes with a user message: a ``data:`` URL, and the prompt tokens it costs by the
    provider's rule (``core/files/images.py``), counted when the server reports no usage."""

    data_url: str
    name: str = ""
    tokens: int = 0
    detail: str = "auto"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str
    images: tuple[ImagePart, ...] = ()  # sent as image parts after the text (vision models only)
    # An assistant message that asked for tools carries its calls; a "tool" message answers one of them.
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float = 0.7
    max_tokens: int = 1_024
    # Tools offered to the model; a provider then yields ToolCall values (before its Usage) when it calls them.
    tools: tuple[ToolSpec, ...] = ()


class LLMError(Exception):
    """The provider could not produce an answer. ``cause`` is for the log only."""

    user_text = "Sorry, I couldn't reach the language model just now. Please try again in a moment."

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


class ContextTooLong(LLMError):
    """The request did not fit the model's context window."""

    user_text = "Sorry, this conversation no longer fits the model's context. Try `/parley reset`."


class LLMTimeout(LLMError):
    user_text = "Sorry, the language model took too long to answer. Please try again."


class LLMRateLimited(LLMError):
    user_text = "The language model is busy right now (rate limited upstream). Please try again in a minute."


class LLMRejected(LLMError):
    """The server refused the request itself (bad model name, bad key, ...)."""

    user_text = "Sorry, the language model refused this request. An admin can find the cause in the log."


class LLMBusy(LLMError):
    """Too many calls in flight in this process, and the wait for a slot ran out."""

    def __init__(self, cause: str, *, retry_after: float):
        super().__init__(cause)
        self.retry_after = retry_after

    @property
    def user_text(self) -> str:  # type: ignore[override]
        from core.limits.parsing import human_duration

        return f"I'm busy answering others right now. Please try again in {human_duration(self.retry_after)}."
