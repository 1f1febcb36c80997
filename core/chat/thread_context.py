"""Thread context: what people said in a thread before Parley was mentioned there.

Mentioned in a thread (or a Discord reply chain) it has not taken part in,
Parley reads the earlier messages there (``ConversationHistory``, each
adapter's own) and gives them to the model as what the people said, each
labelled with its author's display name; another bot's message is labelled
as a bot's, Parley's own earlier answers go in as its own (assistant) turns.

- **Bounded**: at most ``max_messages`` of the newest messages and
  ``max_chars`` characters of their text per request; nothing outside the
  thread the message came from is read.
- **Once, then only what is new**: the id of the message answered is noted
  per conversation (in this process); the next message reads only what came
  after it, without Parley's own answers (its memory holds them).  A thread
  that a top-level mention started is Parley's own (every message in it comes
  to Parley): it is not read again.  A
  conversation Parley already answered in, with no note here (another
  process, a restart), is not read again: its memory holds the context.
- **Filtered**: each message passes the same input filters as a question
  (blocklist: left out; PII: redacted) before the model sees it.
- **Stored only as memory is**: where the channel keeps turns, they are
  stored as turns (their authors' ids on them), so the memory window gives
  them to the model within the persona's budget (newest first, older ones
  folded into the summary or left out, with the footer's notice), and
  retention, ``/parley forget-me`` and ``/parley export`` cover them like any
  turn.  Otherwise they go with this one request only (``ChatRequest.earlier``),
  newest first within the budget.
- **Never a failure**: a read the platform refuses (a missing scope or
  permission) or that breaks is a log line, and the answer goes on without.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from core.chat.history import EarlierMessage, HistoryRead, NoHistory
from core.chat.request import ChatRequest
from core.messages import ConversationKey
from core.ports import Clock, ContentFilter, ConversationHistory, ConversationStore, TokenCounter
from core.records import NewTurn

log = structlog.get_logger(__name__)

LEFT_OUT_NOTICE = "Older messages in this thread were not read: only the newest fit."
DEFAULT_MAX_MESSAGES = 50
DEFAULT_MAX_CHARS = 20_000
MAX_MARKS = 10_000  # conversations whose last read this process remembers
STARTED_HERE = "\x00started"  # the mark of a thread a top-level mention started: never read again


@dataclass(frozen=True, slots=True)
class ThreadContextLimits:
    """THREAD_CONTEXT_MAX_MESSAGES and THREAD_CONTEXT_MAX_CHARS; ``max_messages`` 0 turns reading off."""

    max_messages: int = DEFAULT_MAX_MESSAGES
    max_chars: int = DEFAULT_MAX_CHARS


def label(message: EarlierMessage) -> tuple[str, str]:
    """(role, content) of an earlier message as the model gets it: who said it, and whether a bot did."""
    if message.is_parley:
        return "assistant", message.text
    name = message.author_name or message.author or "someone"
    who = f"{name} (a bot)" if message.is_bot else name
    return "user", f"[{who}] {message.text}"


def newest_within(messages: Sequence[EarlierMessage], *, max_messages: int, max_chars: int) -> tuple[list[EarlierMessage], bool]:
    """The newest messages that fit both bounds, oldest first (a message that crosses the character bound is
    cut to fit, then the older ones are left out), and whether any was left out or cut."""
    kept: list[EarlierMessage] = []
    chars = 0
    cut = False
    for message in reversed(messages):
        if len(kept) == max_messages or chars >= max_chars:
            cut = True
            break
        room = max_chars - chars
        if len(message.text) > room:
            kept.append(replace(message, text="…" + message.text[len(message.text) - room + 1:]))
            cut = True
            break
        kept.append(message)
        chars += len(message.text)
    kept.reverse()
    return kept, cut


@dataclass(frozen=True, slots=True)
class Transcript:
    """A thread as lines ("[Name] text"), oldest first; whether older messages were left out; or why it could
    not be read."""

    lines: tuple[str, ...] = ()
    left_out: bool = False
    unavailable: str = ""


class ReadMarks:
    """Per conversation, the id of the message the last read stopped before (bounded, oldest forgotten)."""

    def __init__(self, *, max_entries: int = MAX_MARKS) -> None:
        self._marks: OrderedDict[ConversationKey, str] = OrderedDict()
        self._max = max_entries

    def get(self, key: ConversationKey) -> str | None:
        return self._marks.get(key)

    def put(self, key: ConversationKey, through: str) -> None:
        self._marks[key] = through
        self._marks.move_to_end(key)
        while len(self._marks) > self._max:
            self._marks.popitem(last=False)


class ThreadContext:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        content_filter: ContentFilter,
        tokens: TokenCounter,
        clock: Clock,
        limits: ThreadContextLimits = ThreadContextLimits(),
        history: ConversationHistory | None = None,
    ) -> None:
        self._conversations = conversations
        self._content_filter = content_filter
        self._tokens = tokens
        self._clock = clock
        self._limits = limits
        self._history: ConversationHistory = history or NoHistory()
        self._marks = ReadMarks()

    def attach(self, history: ConversationHistory) -> None:
        """The adapter's history reader (the adapter is built after the core, from it)."""
        self._history = history

    async def gather(self, request: ChatRequest) -> None:
        """In the conversation's turn, after the input filters: the thread's earlier messages stored as turns
        (memory kept) or put on ``request.earlier``; a notice when older ones were left out. Never raises."""
        try:
            await self._gather(request)
        except Exception as error:
            request.log.warning("thread_context.failed", error=type(error).__name__)

    async def _gather(self, request: ChatRequest) -> None:
        message, limits = request.message, self._limits
        key = message.key
        if message.is_dm or not key.thread or limits.max_messages <= 0 or limits.max_chars <= 0:
            return
        after = self._marks.get(key)
        if after == STARTED_HERE:
            return  # a thread Parley started: every message in it comes to Parley, nothing to catch up on
        # A top-level message has no thread before it (its answer opens one): only a reply chain or the
        # channel can be read, and asking memory first would cost every mention a query for nothing.
        if after is None and not message.top_level and await self._conversations.has_assistant_turns(key):
            return  # answered here before (another process, a restart): its memory holds the context
        read = await self._history.read(
            message, after=after, limit=limits.max_messages, max_chars=limits.max_chars,
            channel_messages=min(request.persona.channel_context, limits.max_messages),
        )
        if read.unavailable:
            request.log.warning("thread_context.unavailable", reason=read.unavailable)
            return
        if read.starts_thread:
            self._marks.put(key, STARTED_HERE)
        elif read.through:
            self._marks.put(key, read.through)
        fresh = [m for m in read.messages if m.text.strip() and not (after is not None and m.is_parley)]
        kept, cut = newest_within(fresh, max_messages=limits.max_messages, max_chars=limits.max_chars)
        turns = await self._filtered_turns(request, kept)
        if cut or read.more:
            request.notices += (LEFT_OUT_NOTICE,)
        if not turns:
            return
        if request.keeps_turns:
            await self._conversations.add_turns(turns)
        else:
            request.earlier = tuple(turns)
        request.log.info(
            "thread_context.read", messages=len(turns), left_out=cut or read.more, stored=request.keeps_turns,
            only_new=after is not None,
        )

    async def transcript(
        self, request: ChatRequest, *, max_messages: int, max_chars: int, message_chars: int
    ) -> Transcript:
        """The whole thread before ``request``'s message (not only what is new), for a summary: each message cut
        to ``message_chars``, the newest within both bounds, through the input filters, one line each."""
        read = await self._history.read(request.message, after=None, limit=max_messages, max_chars=max_chars)
        return await self.transcript_of(
            request, read, max_messages=max_messages, max_chars=max_chars, message_chars=message_chars
        )

    async def recent(
        self, request: ChatRequest, *, since: datetime | None, max_messages: int, max_chars: int, message_chars: int
    ) -> Transcript:
        """For ``/parley summarize``: the thread of ``request`` (its key's thread) or the channel since ``since``,
        read only if the asker can see it."""
        message = request.message
        read = await self._history.recent(
            message.key.channel_scope(), thread=message.key.thread, asker=message.user, since=since,
            limit=max_messages, max_chars=max_chars,
        )
        return await self.transcript_of(
            request, read, max_messages=max_messages, max_chars=max_chars, message_chars=message_chars
        )

    async def transcript_of(
        self, request: ChatRequest, read: HistoryRead, *, max_messages: int, max_chars: int, message_chars: int
    ) -> Transcript:
        if read.unavailable:
            request.log.warning("thread_context.unavailable", reason=read.unavailable)
            return Transcript(unavailable=read.unavailable)
        messages = [
            replace(m, text=m.text if len(m.text) <= message_chars else m.text[: max(message_chars - 1, 0)] + "…")
            for m in read.messages if m.text.strip()
        ]
        kept, cut = newest_within(messages, max_messages=max_messages, max_chars=max_chars)
        turns = await self._filtered_turns(request, kept)
        lines = tuple(t.content if t.role == "user" else f"[Parley] {t.content}" for t in turns)
        return Transcript(lines=lines, left_out=cut or read.more)

    async def _filtered_turns(self, request: ChatRequest, messages: Sequence[EarlierMessage]) -> list[NewTurn]:
        """Each message through the input filters (blocked: left out; PII: redacted), as a turn."""
        turns: list[NewTurn] = []
        blocked = 0
        model = request.persona.model
        for earlier in messages:
            author = earlier.author or earlier.author_name
            as_message = replace(
                request.message, event_id=f"context:{earlier.id}", user=author, text=earlier.text,
                user_name=earlier.author_name, mentions_bot=False,
            )
            verdict = await self._content_filter.check_input(as_message, earlier.text)
            if not verdict.allowed:
                blocked += 1
                continue
            role, content = label(replace(earlier, text=verdict.text))
            turns.append(NewTurn(
                key=request.message.key, role=role, author="parley" if earlier.is_parley else author, content=content,
                token_count=self._tokens.count(content, model=model), created_at=earlier.at or self._clock.now(),
            ))
        if blocked:
            request.log.info("thread_context.blocked", messages=blocked)
        return turns
