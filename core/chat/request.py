"""One message being answered: what the steps of ``ChatService`` share."""

from __future__ import annotations

import time
from datetime import datetime
from dataclasses import dataclass, field

from core.chat.memory import MemoryWindow
from core.llm_types import ImagePart
from core.messages import IncomingMessage, Usage
from core.personas.values import Persona
from core.records import BudgetHold, ChannelSettings, NewTurn


@dataclass
class ChatRequest:
    """The message, what was decided about it so far, and the answer being built by the current attempt."""

    message: IncomingMessage
    text: str  # cleaned; after the input filters, redacted (what the LLM sees and what is stored)
    persona: Persona
    settings: ChannelSettings
    log: object  # structlog's logger, bound with this message's context
    notices: tuple[str, ...] = ()
    window: MemoryWindow = field(default_factory=lambda: MemoryWindow(messages=()))
    hold: BudgetHold | None = None
    prompt_tokens: int = 0  # the estimate the budget reserved for
    streamed: bool = False  # the model's answer arrived whole (no error, no filter stop, the reader stayed)
    pieces: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(0, 0))
    started: float = field(default_factory=time.perf_counter)
    admitted_at: datetime | None = None  # the clock's time when the message was admitted
    images: tuple[ImagePart, ...] = ()  # attached images for the model (core/files); never stored
    image_tokens: int = 0  # what they cost by the provider's rule, for the budget's reservation
    tool_rounds: int = 0  # tool rounds so far (core/tools): each was charged as an LLM call of its own
    round_start: int = 0  # where the current round's text starts in ``pieces``
    earlier: tuple[NewTurn, ...] = ()  # the thread's earlier messages, when memory does not keep them (thread_context)

    @property
    def keeps_turns(self) -> bool:
        """Memory on and a retention other than "nothing after answering"."""
        return self.settings.memory_enabled and self.settings.retention_days != 0

    @property
    def answer(self) -> str:
        return "".join(self.pieces).strip()

    def restart(self) -> None:
        """A new attempt: no text, no usage yet."""
        self.pieces = []
        self.usage = Usage(0, 0)
        self.round_start = 0

    def elapsed_ms(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)


class OutputBlocked(Exception):
    """An output filter stopped the answer at a streaming checkpoint."""

    def __init__(self, reason: str, user_text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_text = user_text


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message the gate let through, written durably as pending and owned by this process: answer it."""

    message: IncomingMessage
    started: float = field(default_factory=time.perf_counter)  # when it arrived (``time.perf_counter``)
