"""The core on real storage: answers survive restarts, and retries are answered once
even when two processes receive the same event (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from core.assembly import CoreOptions, assemble_core
from core.bootstrap import sql_stores
from core.clock import SystemClock
from core.messages import ConversationKey, IncomingMessage, OutcomeKind, TextDelta
from core.storage.database import Database
from core.tokens import TiktokenCounter
from tests.core.fakes import FakeLLM

DM = ConversationKey(platform="discord", workspace="dm", channel="D42")


def core_on(database: Database, llm: FakeLLM):
    return assemble_core(
        stores=sql_stores(database), llm=llm, tokens=TiktokenCounter(), clock=SystemClock(),
        options=CoreOptions(default_model="gpt-4o-mini"),
    )


async def answer(core, event_id: str, text: str):
    message = IncomingMessage(event_id=event_id, key=DM, user="U1", text=text, is_dm=True)
    events = [e async for e in core.chat.handle(message)]
    return events[-1], "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_memory_and_idempotency_survive_a_restart(database_url):
    llm = FakeLLM()
    first = Database.from_url(database_url)
    outcome, streamed = await answer(core_on(first, llm), "m1", "my name is Ada")
    assert outcome.kind is OutcomeKind.ANSWERED and streamed == outcome.text
    await first.dispose()

    restarted = Database.from_url(database_url)
    try:
        core = core_on(restarted, llm)
        again, _ = await answer(core, "m1", "my name is Ada")
        assert again.kind is OutcomeKind.IGNORED and again.reason == "duplicate"
        await answer(core, "m2", "what is my name?")
        history = [m.content for m in llm.requests[-1].messages[1:]]
        assert history == ["my name is Ada", "echo: my name is Ada", "what is my name?"]
    finally:
        await restarted.dispose()


async def test_two_processes_receiving_the_same_event_answer_once(database_url):
    llm = FakeLLM()
    a, b = Database.from_url(database_url), Database.from_url(database_url)
    try:
        results = await asyncio.gather(
            *(answer(core_on(db, llm), "same-event", "hello") for db in (a, b, a, b))
        )
        kinds = sorted(outcome.kind for outcome, _ in results)
        assert kinds.count(OutcomeKind.ANSWERED) == 1 and kinds.count(OutcomeKind.IGNORED) == 3
        assert len(llm.requests) == 1
    finally:
        await a.dispose()
        await b.dispose()
