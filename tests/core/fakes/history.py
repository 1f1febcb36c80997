"""A ``ConversationHistory`` that serves what a test wrote into a thread (ids compare as numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.chat.history import NOT_VISIBLE, EarlierMessage, HistoryRead
from core.messages import ConversationKey, IncomingMessage


@dataclass
class ScriptedHistory:
    threads: dict[ConversationKey, list[EarlierMessage]] = field(default_factory=dict)
    unavailable: str = ""  # every read refused with this reason (a missing scope or permission)
    reads: list[tuple[ConversationKey, str | None, int]] = field(default_factory=list)  # (key, after, limit)

    def write(self, key: ConversationKey, *messages: EarlierMessage) -> None:
        self.threads.setdefault(key, []).extend(messages)

    channel: list[EarlierMessage] = field(default_factory=list)  # the channel's top-level messages
    channel_reads: list[int] = field(default_factory=list)
    members: dict[str, set[str]] = field(default_factory=dict)  # channel → who may see it (absent: everyone)
    recent_reads: list[tuple] = field(default_factory=list)

    async def read(
        self, message: IncomingMessage, *, after: str | None, limit: int, max_chars: int, channel_messages: int = 0
    ) -> HistoryRead:
        if message.key.thread == message.event_id:  # the message starts its thread
            self.channel_reads.append(channel_messages)
            found = [m for m in self.channel if int(m.id) < int(message.event_id)]
            return HistoryRead(messages=tuple(found[-channel_messages:]) if channel_messages else (),
                               through=message.event_id, starts_thread=True)
        self.reads.append((message.key, after, limit))
        return self._thread(message, after=after, limit=limit)

    async def recent(self, scope, *, thread: str, asker: str, since, limit: int, max_chars: int) -> HistoryRead:
        """A thread's messages or the channel's (``channel``, all of them: the fake has no times); only for
        ``members`` when the channel has a member list."""
        self.recent_reads.append((scope, thread, asker, since))
        if scope.channel in self.members and asker not in self.members[scope.channel]:
            return HistoryRead(unavailable=NOT_VISIBLE)
        if thread:
            key = ConversationKey(scope.platform, scope.workspace, scope.channel, thread)
            found = self.threads.get(key, [])
        else:
            found = self.channel
        return HistoryRead(messages=tuple(found[-limit:]), more=len(found) > limit)

    def _thread(self, message: IncomingMessage, *, after: str | None, limit: int) -> HistoryRead:
        if self.unavailable:
            return HistoryRead(unavailable=self.unavailable)
        before = int(message.event_id)
        found = [m for m in self.threads.get(message.key, []) if int(m.id) < before and (after is None or int(m.id) > int(after))]
        return HistoryRead(messages=tuple(found[-limit:]), through=message.event_id, more=len(found) > limit)
