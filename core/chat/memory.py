"""The memory window: what of a conversation's history goes with a request.

The window is the persona's system prompt, the running summary (if any), the
newest turns that fit the persona's memory budget, and the new message.  Only
the newest ``fetch_limit`` turns after the summary are read (index + LIMIT),
never the whole history.  When older turns no longer fit they are folded into
the running summary by the LLM (or, with summaries off, left out); either way
the reply's footer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import structlog

from core.llm.complete import complete
from core.llm_types import ChatMessage, CompletionRequest, LLMError
from core.messages import ConversationKey, Usage
from core.personas.values import Persona
from core.ports import ConversationStore, LLMProvider, TokenCounter
from core.records import NewTurn, Summary, Turn
from core.tokens import MESSAGE_OVERHEAD_TOKENS

log = structlog.get_logger(__name__)

SUMMARISED_NOTICE = "Older messages in this conversation were summarised to fit my memory."
DROPPED_NOTICE = "Older messages in this conversation no longer fit my memory and were left out."
SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
SUMMARY_MAX_TOKENS = 400
SUMMARISE_INSTRUCTION = (
    "Summarise the conversation below for your own memory, in at most a few short "
    "paragraphs. Keep names, facts, decisions, numbers and open questions; drop "
    "small talk. Write only the summary."
)


@dataclass(frozen=True, slots=True)
class MemoryWindow:
    messages: tuple[ChatMessage, ...]
    notices: tuple[str, ...] = ()
    summary_usage: Usage | None = None  # tokens spent folding old turns, to be accounted
    history_tokens: int = 0  # what the summary and the kept turns cost


class MemoryWindowBuilder:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        llm: LLMProvider,
        tokens: TokenCounter,
        summaries_enabled: bool = True,
        fetch_limit: int = 200,
    ) -> None:
        self._conversations = conversations
        self._llm = llm
        self._tokens = tokens
        self._summaries_enabled = summaries_enabled
        self._fetch_limit = fetch_limit

    async def build(
        self,
        key: ConversationKey,
        *,
        persona: Persona,
        user_text: str,
        budget: int | None = None,
        remember: bool = True,
        earlier: Sequence[NewTurn] = (),
    ) -> MemoryWindow:
        """The messages for one request. ``remember=False`` sends the new message alone (with ``earlier``, the
        thread's messages that are not stored, newest first within what the budget leaves)."""
        system = ChatMessage("system", persona.system_prompt)
        new = ChatMessage("user", user_text)
        budget = persona.memory_budget if budget is None else budget
        if not remember:
            return with_earlier(MemoryWindow(messages=(system, new)), earlier, budget=budget)
        summary, turns = await self._conversations.load_window(key, limit=self._fetch_limit)
        more_unread = len(turns) == self._fetch_limit
        summary_cost = summary.token_count if summary else 0
        keep_from = _first_fitting(turns, max(budget - summary_cost, 0))
        notices: tuple[str, ...] = ()
        summary_usage = None
        if keep_from > 0 or more_unread:
            if self._summaries_enabled and budget > 0:
                # Fold down to half the budget, so the next messages fit without folding again.
                fold_until = max(keep_from, _first_fitting(turns, max(budget // 2 - SUMMARY_MAX_TOKENS, 0)))
                folded = await self._fold(key, persona=persona, previous=summary, turns=turns[:fold_until])
                if folded is not None:
                    summary, summary_usage = folded
                    turns = turns[fold_until:]
                    keep_from = 0
                    notices = (SUMMARISED_NOTICE,)
                else:
                    notices = (DROPPED_NOTICE,)
            else:
                notices = (DROPPED_NOTICE,)
        kept = turns[keep_from:]
        messages = [system]
        history_tokens = sum(t.token_count + MESSAGE_OVERHEAD_TOKENS for t in kept)
        if summary is not None and summary.text:
            messages.append(ChatMessage("system", SUMMARY_PREFIX + summary.text))
            history_tokens += summary.token_count
        messages.extend(ChatMessage("assistant" if t.role == "assistant" else "user", t.content) for t in kept)
        messages.append(new)
        window = MemoryWindow(
            messages=tuple(messages), notices=notices, summary_usage=summary_usage, history_tokens=history_tokens
        )
        return with_earlier(window, earlier, budget=budget)

    async def _fold(
        self, key: ConversationKey, *, persona: Persona, previous: Summary | None, turns: Sequence[Turn]
    ) -> tuple[Summary, Usage] | None:
        if not turns:
            return None
        transcript = "\n".join(f"{t.role} ({t.author}): {t.content}" for t in turns)
        if previous is not None and previous.text:
            transcript = f"Earlier summary:\n{previous.text}\n\nThen:\n{transcript}"
        request = CompletionRequest(
            model=persona.model,
            messages=(ChatMessage("system", SUMMARISE_INSTRUCTION), ChatMessage("user", transcript)),
            temperature=0.2,
            max_tokens=SUMMARY_MAX_TOKENS,
        )
        try:
            text, usage = await complete(self._llm, request)
        except LLMError as exc:
            log.warning("memory.summary_failed", cause=exc.cause, turns=len(turns))
            return None
        text = text.strip()
        summary = Summary(
            text=text,
            through_turn_id=turns[-1].id,
            token_count=self._tokens.count(text, model=persona.model) + MESSAGE_OVERHEAD_TOKENS,
        )
        await self._conversations.save_summary(key, summary)
        log.info("memory.summarised", turns=len(turns), summary_tokens=summary.token_count)
        return summary, usage


def _first_fitting(turns: Sequence[Turn], budget: int) -> int:
    """Index of the oldest turn such that it and everything newer fit ``budget``."""
    used = 0
    index = len(turns)
    while index > 0:
        cost = turns[index - 1].token_count + MESSAGE_OVERHEAD_TOKENS
        if used + cost > budget:
            break
        used += cost
        index -= 1
    return index


def with_earlier(window: MemoryWindow, earlier: Sequence[NewTurn], *, budget: int) -> MemoryWindow:
    """``window`` with the unstored ``earlier`` turns that fit what the budget leaves, newest first, just before
    the new message; the others left out, and the footer says so."""
    if not earlier:
        return window
    room = max(budget - window.history_tokens, 0)
    kept: list[NewTurn] = []
    for turn in reversed(earlier):
        cost = turn.token_count + MESSAGE_OVERHEAD_TOKENS
        if cost > room:
            break
        room -= cost
        kept.append(turn)
    kept.reverse()
    notices = window.notices
    if len(kept) < len(earlier) and DROPPED_NOTICE not in notices:
        notices += (DROPPED_NOTICE,)
    added = tuple(ChatMessage("assistant" if t.role == "assistant" else "user", t.content) for t in kept)
    messages = (*window.messages[:-1], *added, window.messages[-1])
    return replace(
        window, messages=messages, notices=notices,
        history_tokens=window.history_tokens + sum(t.token_count + MESSAGE_OVERHEAD_TOKENS for t in kept),
    )
