"""Fakes at the core's ports, and only there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from core.llm_types import CompletionRequest, LLMError
from core.messages import ChannelScope, ConversationKey, Usage
from core.personas.values import Persona
from core.records import AuditEntry, BudgetKey, ChannelSettings, NewTurn, Summary, Turn, UsageRecord, UsageRow
from core.messages import WorkspaceScope
from core.filters.values import Availability, ModerationHit, ModerationResult
from core.filters.moderation import ModerationFailed, ModerationUnavailable
from core.filters.values import BlockRule, FilterDecision, FilterPolicy
from core.tokens import EstimatingTokenCounter


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class MemoryConversationStore:
    def __init__(self, *, usage: "MemoryUsageStore | None" = None) -> None:
        self._usage = usage
        self.turns: list[Turn] = []
        self.summaries: dict[ConversationKey, Summary] = {}
        self.reads: list[int] = []  # limit of each recent_turns call

    async def add_turns(self, turns: Sequence[NewTurn]) -> list[int]:
        ids = []
        for t in turns:
            turn = Turn(
                id=len(self.turns) + 1, key=t.key, role=t.role, author=t.author, content=t.content,
                token_count=t.token_count, status=t.status,
                created_at=t.created_at or datetime.now(timezone.utc),
            )
            self.turns.append(turn)
            ids.append(turn.id)
        return ids

    async def add_exchange(self, turns: Sequence[NewTurn], *, usage: UsageRecord) -> list[int]:
        assert self._usage is not None, "build it with usage=MemoryUsageStore()"
        await self._usage.record(usage)
        return await self.add_turns(turns)

    async def recent_turns(self, key: ConversationKey, *, limit: int, after_id: int = 0) -> list[Turn]:
        self.reads.append(limit)
        found = [t for t in self.turns if t.key == key and t.status == "ok" and t.id > after_id]
        return found[-limit:]

    async def load_window(self, key: ConversationKey, *, limit: int):
        summary = self.summaries.get(key)
        return summary, await self.recent_turns(key, limit=limit, after_id=summary.through_turn_id if summary else 0)

    async def has_assistant_turns(self, key: ConversationKey) -> bool:
        return any(t.key == key and t.role == "assistant" for t in self.turns)

    async def get_summary(self, key: ConversationKey) -> Summary | None:
        return self.summaries.get(key)

    async def save_summary(self, key: ConversationKey, summary: Summary) -> None:
        self.summaries[key] = summary

    async def delete_channel(self, scope: ChannelScope) -> int:
        keep = [t for t in self.turns if t.key.channel_scope() != scope]
        deleted = len(self.turns) - len(keep)
        self.turns[:] = keep
        self.summaries = {k: v for k, v in self.summaries.items() if k.channel_scope() != scope}
        return deleted

    async def delete_user(self, scope: WorkspaceScope, *, user: str) -> int:
        def mine(t: Turn) -> bool:
            return (t.key.platform, t.key.workspace, t.author, t.role) == (scope.platform, scope.workspace, user, "user")

        keep = [t for t in self.turns if not mine(t)]
        touched = {t.key for t in self.turns if mine(t)}
        deleted = len(self.turns) - len(keep)
        self.turns[:] = keep
        self.summaries = {k: v for k, v in self.summaries.items() if k not in touched}
        return deleted

    async def delete_before(self, scope: ChannelScope, *, before: datetime) -> int:
        keep = [t for t in self.turns if not (t.key.channel_scope() == scope and t.created_at < before)]
        touched = {t.key for t in self.turns if t not in keep}
        self.summaries = {k: v for k, v in self.summaries.items() if k not in touched}
        deleted = len(self.turns) - len(keep)
        self.turns[:] = keep
        return deleted

    async def channel_turns(self, scope: ChannelScope, *, limit: int) -> list[Turn]:
        return [t for t in self.turns if t.key.channel_scope() == scope][:limit]

    def contents(self, key: ConversationKey | None = None) -> list[tuple[str, str, str]]:
        return [(t.role, t.content, t.status) for t in self.turns if key is None or t.key == key]


class MemoryPersonaStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[WorkspaceScope, str], Persona] = {}

    async def list(self, scope: WorkspaceScope) -> list[Persona]:
        return [p for (s, _), p in self.rows.items() if s == scope]

    async def get(self, scope: WorkspaceScope, name: str) -> Persona | None:
        return self.rows.get((scope, name))

    async def save(self, scope: WorkspaceScope, persona: Persona) -> None:
        self.rows[(scope, persona.name)] = persona

    async def delete(self, scope: WorkspaceScope, name: str) -> bool:
        return self.rows.pop((scope, name), None) is not None


class MemoryChannelSettingsStore:
    def __init__(self) -> None:
        self.rows: dict[ChannelScope, ChannelSettings] = {}
        self.defaults: dict[WorkspaceScope, str | None] = {}

    async def get(self, scope: ChannelScope) -> ChannelSettings:
        return self.rows.get(scope, ChannelSettings())

    async def put(self, scope: ChannelScope, settings: ChannelSettings) -> None:
        self.rows[scope] = settings

    async def get_workspace_default(self, scope: WorkspaceScope) -> str | None:
        return self.defaults.get(scope)

    async def set_workspace_default(self, scope: WorkspaceScope, persona: str | None) -> None:
        self.defaults[scope] = persona

    async def with_retention(self) -> list[tuple[ChannelScope, int]]:
        return [(s, v.retention_days) for s, v in self.rows.items() if v.retention_days is not None]


class MemoryInbox:
    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], datetime] = {}

    async def claim(self, *, platform: str, event_id: str) -> bool:
        if (platform, event_id) in self.seen:
            return False
        self.seen[(platform, event_id)] = datetime.now(timezone.utc)
        return True

    async def forget_before(self, before: datetime) -> int:
        old = [k for k, v in self.seen.items() if v < before]
        for k in old:
            del self.seen[k]
        return len(old)


class MemoryUsageStore:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(self, record: UsageRecord) -> None:
        self.records.append(record)

    async def report(self, scope, *, since, user=None, group_by=None, limit=10) -> list[UsageRow]:
        rows: dict[str, list[int]] = {}
        for r in self.records:
            if (r.platform, r.workspace) != (scope.platform, scope.workspace) or r.created_at < since:
                continue
            if user is not None and r.user != user:
                continue
            group = "" if group_by is None else getattr(r, group_by)
            acc = rows.setdefault(group, [0, 0, 0, 0])
            acc[0] += 1
            acc[1] += r.prompt_tokens
            acc[2] += r.completion_tokens
            acc[3] += r.cost_micro_usd or 0
        ordered = sorted(rows.items(), key=lambda kv: -(kv[1][1] + kv[1][2]))
        return [UsageRow(g, *v) for g, v in ordered[:limit]]


class MemoryBudgetCounterStore:
    """All-or-nothing reservations; atomic because nothing awaits in between."""

    def __init__(self, clock=None) -> None:
        self.used_: dict[BudgetKey, int] = {}
        self.reserved: dict[BudgetKey, int] = {}
        self.holds: dict[str, tuple[object, list]] = {}  # hold -> (when, lines)
        self._clock = clock

    async def reserve(self, lines, *, hold: str) -> BudgetKey | None:
        for line in lines:
            if self.used_.get(line.key, 0) + self.reserved.get(line.key, 0) + line.amount > line.cap:
                return line.key
        for line in lines:
            self.reserved[line.key] = self.reserved.get(line.key, 0) + line.amount
        self.holds[hold] = (self._clock.now() if self._clock else None, list(lines))
        return None

    async def settle(self, lines, *, hold: str | None = None) -> None:
        held = hold is not None and self.holds.pop(hold, None) is not None
        for key, reserved, actual in lines:
            self.reserved[key] = self.reserved.get(key, 0) - (reserved if held else 0)
            self.used_[key] = self.used_.get(key, 0) + actual

    async def release_stale(self, before) -> int:
        stale = [h for h, (when, _) in self.holds.items() if when is not None and when < before]
        released = 0
        for hold in stale:
            for line in self.holds.pop(hold)[1]:
                self.reserved[line.key] -= line.amount
                released += 1
        return released

    async def used(self, keys) -> dict[BudgetKey, int]:
        return {key: self.used_.get(key, 0) for key in keys}


class MemoryLimitOverrideStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[WorkspaceScope, str, str], str] = {}

    async def get(self, workspace, *, channels=None) -> dict[tuple[str, str], str]:
        return {
            (c, s): v for (w, c, s), v in self.rows.items() if w == workspace and (channels is None or c in channels)
        }

    async def set(self, workspace, *, channel, scope, value) -> None:
        if value is None:
            self.rows.pop((workspace, channel, scope), None)
        else:
            self.rows[(workspace, channel, scope)] = value


class MemoryAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[AuditEntry]:
        mine = [e for e in self.entries if (e.platform, e.workspace) == (scope.platform, scope.workspace)]
        return list(reversed(mine))[:limit]


@dataclass
class FakeLLM:
    """Answers "echo: <last user message>" in two pieces unless scripted otherwise.

    ``script`` holds what the next calls do: a str answer, an LLMError to raise,
    or a callable(request) returning either.  ``gate`` (an asyncio.Event), when
    set, holds every call open until released.
    """

    script: list = field(default_factory=list)
    requests: list[CompletionRequest] = field(default_factory=list)
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[str | Usage]:
        self.requests.append(request)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        step = self.script.pop(0) if self.script else None
        if callable(step):
            step = step(request)
        if isinstance(step, LLMError):
            raise step
        answer = step if isinstance(step, str) else "echo: " + request.messages[-1].content
        answer = answer[: request.max_tokens * 4]  # like a real model, stop at max_tokens
        half = len(answer) // 2
        for piece in (answer[:half], answer[half:]):
            if piece:
                yield piece
        counter = EstimatingTokenCounter()
        prompt = sum(counter.count(m.content, model=request.model) for m in request.messages)
        yield Usage(prompt_tokens=prompt, completion_tokens=counter.count(answer, model=request.model))


class MemoryFilterSettingsStore:
    def __init__(self) -> None:
        self.policies: dict[WorkspaceScope, FilterPolicy] = {}
        self.rule_rows: dict[WorkspaceScope, list[BlockRule]] = {}

    async def get_policy(self, scope: WorkspaceScope) -> FilterPolicy:
        return self.policies.get(scope, FilterPolicy())

    async def put_policy(self, scope: WorkspaceScope, policy: FilterPolicy) -> None:
        self.policies[scope] = policy

    async def rules(self, scope: WorkspaceScope) -> list[BlockRule]:
        return list(self.rule_rows.get(scope, []))

    async def add_rule(self, scope: WorkspaceScope, rule: BlockRule, *, author: str) -> bool:
        rules = self.rule_rows.setdefault(scope, [])
        if any(r.pattern == rule.pattern for r in rules):
            return False
        rules.append(replace(rule, source="chat"))
        return True

    async def remove_rule(self, scope: WorkspaceScope, pattern: str) -> bool:
        rules = self.rule_rows.get(scope, [])
        keep = [r for r in rules if r.pattern != pattern]
        self.rule_rows[scope] = keep
        return len(keep) != len(rules)


class MemoryFilterDecisionLog:
    def __init__(self) -> None:
        self.decisions: list[FilterDecision] = []

    async def record(self, decisions) -> None:
        self.decisions.extend(decisions)

    async def recent(self, scope: WorkspaceScope, *, limit: int = 20) -> list[FilterDecision]:
        mine = [d for d in self.decisions if (d.platform, d.workspace) == (scope.platform, scope.workspace)]
        return list(reversed(mine))[:limit]

    async def forget_before(self, before: datetime) -> int:
        keep = [d for d in self.decisions if d.created_at is None or d.created_at >= before]
        gone = len(self.decisions) - len(keep)
        self.decisions[:] = keep
        return gone

    def summary(self) -> list[tuple[str, str, str, str]]:
        """(direction, filter, category, action) of every decision, oldest first."""
        return [(d.direction, d.filter, d.category, d.action) for d in self.decisions]


class FakeModerator:
    """Flags any text containing one of ``words`` (word → category); ``fail``/``absent`` script the endpoint."""

    def __init__(self, words: dict[str, str] | None = None, *, absent: bool = False) -> None:
        self.words = dict(words or {})
        self.fail = False
        self.absent = absent
        self.checked: list[str] = []

    @property
    def availability(self) -> Availability:
        return Availability(available=not self.absent, reason="no endpoint" if self.absent else "", model="fake")

    async def probe(self) -> Availability:
        return self.availability

    async def check(self, text: str) -> ModerationResult:
        self.checked.append(text)
        if self.absent:
            raise ModerationUnavailable("no endpoint")
        if self.fail:
            raise ModerationFailed("HTTP 500")
        hits = tuple(ModerationHit(c, 0.99) for w, c in self.words.items() if w in text.lower())
        return ModerationResult(hits=hits)


def with_thread(key: ConversationKey, thread: str) -> ConversationKey:
    return replace(key, thread=thread)
