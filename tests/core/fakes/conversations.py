"""ConversationStore in memory: turns in a list, summaries in a dict."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from core.feedback.values import RatedAnswer
from core.messages import ChannelScope, ConversationKey, WorkspaceScope
from core.records import NewTurn, StoredAnswer, Summary, Turn, UsageRecord
from tests.core.fakes.clock import as_utc, utcnow

if TYPE_CHECKING:
    from tests.core.fakes.feedback import MemoryFeedbackStore
    from tests.core.fakes.records import MemoryInbox, MemoryUsageStore


class MemoryConversationStore:
    """As the SQL store: ids only grow (a deleted turn's id is never given again), times come back aware UTC."""

    def __init__(
        self, *, usage: "MemoryUsageStore | None" = None, inbox: "MemoryInbox | None" = None,
        feedback: "MemoryFeedbackStore | None" = None,
    ) -> None:
        self._usage = usage
        self._inbox = inbox
        self._feedback = feedback
        self._ids = itertools.count(1)
        self.turns: list[Turn] = []
        self.summaries: dict[ConversationKey, Summary] = {}
        self.reads: list[int] = []  # limit of each recent_turns call

    async def add_turns(self, turns: Sequence[NewTurn]) -> list[int]:
        now = utcnow()
        ids = []
        for t in turns:
            turn = Turn(
                id=next(self._ids), key=t.key, role=t.role, author=t.author, content=t.content,
                token_count=t.token_count, status=t.status,
                created_at=as_utc(t.created_at) if t.created_at else now,
            )
            self.turns.append(turn)
            ids.append(turn.id)
        return ids

    async def add_exchange(
        self, turns: Sequence[NewTurn], *, usage: UsageRecord, stored: StoredAnswer | None = None,
        rated: RatedAnswer | None = None,
    ) -> list[int]:
        assert self._usage is not None, "build it with usage=MemoryUsageStore()"
        await self._usage.record(usage)
        if stored is not None and self._inbox is not None:
            self._inbox.mark_stored(stored)
        if rated is not None:
            assert self._feedback is not None, "build it with feedback=MemoryFeedbackStore()"
            self._feedback.remember(rated)
        return await self.add_turns(turns)

    async def recent_turns(self, key: ConversationKey, *, limit: int, after_id: int = 0) -> list[Turn]:
        self.reads.append(limit)
        if limit <= 0:
            return []
        found = [t for t in self.turns if t.key == key and t.status == "ok" and t.id > after_id]
        return found[-limit:]

    async def load_window(self, key: ConversationKey, *, limit: int) -> tuple[Summary | None, list[Turn]]:
        summary = self.summaries.get(key)
        return summary, await self.recent_turns(key, limit=limit, after_id=summary.through_turn_id if summary else 0)

    async def has_assistant_turns(self, key: ConversationKey) -> bool:
        return any(t.key == key and t.role == "assistant" for t in self.turns)

    async def get_summary(self, key: ConversationKey) -> Summary | None:
        return self.summaries.get(key)

    async def save_summary(self, key: ConversationKey, summary: Summary) -> None:
        self.summaries[key] = summary

    async def delete_channel(self, scope: ChannelScope) -> int:
        deleted = self._delete(lambda t: t.key.channel_scope() == scope)
        self.summaries = {k: v for k, v in self.summaries.items() if k.channel_scope() != scope}
        return deleted

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        return self._delete(
            lambda t: (t.key.platform, t.key.workspace, t.author, t.role) == (scope.platform, scope.workspace, user, "user")
        )

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        before = as_utc(before)
        return self._delete(lambda t: t.key.channel_scope() == scope and t.created_at < before)

    def _delete(self, doomed) -> int:
        """Delete the turns ``doomed`` picks, and the summaries of their conversations; returns how many."""
        gone = [t for t in self.turns if doomed(t)]
        touched = {t.key for t in gone}
        self.turns[:] = [t for t in self.turns if not doomed(t)]
        self.summaries = {k: v for k, v in self.summaries.items() if k not in touched}
        return len(gone)

    async def channel_turns(self, scope: ChannelScope, *, limit: int) -> list[Turn]:
        return [t for t in self.turns if t.key.channel_scope() == scope][:limit]

    def contents(self, key: ConversationKey | None = None) -> list[tuple[str, str, str]]:
        return [(t.role, t.content, t.status) for t in self.turns if key is None or t.key == key]


def with_thread(key: ConversationKey, thread: str) -> ConversationKey:
    return replace(key, thread=thread)
