"""A ``ConversationHistory`` that serves what a test wrote into a thread (ids compare as numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.chat.history import EarlierMessage, HistoryRead
from core.messages import ConversationKey, IncomingMessage


@dataclass
class ScriptedHistory:
    threads: dict[ConversationKey, list[EarlierMessage]] = field(default_factory=dict)
    unavailable: str = ""  # every read refused with this reason (a missing scope or permission)
    reads: list[tuple[ConversationKey, str | None, int]] = field(default_factory=list)  # (key, after, limit)

    def write(self, key: ConversationKey, *messages: EarlierMessage) -> None:
        self.threads.setdefault(key, []).extend(messages)

    async def read(self, message: IncomingMessage, *, after: str | None, limit: int, max_chars: int) -> HistoryRead:
        self.reads.append((message.key, after, limit))
        if self.unavailable:
            return HistoryRead(unavailable=self.unavailable)
        before = int(message.event_id)
        found = [m for m in self.threads.get(message.key, []) if int(m.id) < before and (after is None or int(m.id) > int(after))]
        return HistoryRead(messages=tuple(found[-limit:]), through=message.event_id, more=len(found) > limit)
