"""Outages and bad input degrade one feature, never the bot (issue 16), on real SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from core.assembly import CoreOptions, assemble_core
from core.bootstrap import sql_stores
from core.clock import SystemClock
from core.log import configure_logging
from core.messages import ConversationKey, IncomingMessage, OutcomeKind, TextDelta
from core.storage.database import Database
from core.tokens import TiktokenCounter
from tests.core.fakes import FakeLLM

DM = ConversationKey(platform="discord", workspace="dm", channel="D42")
SECRET_WORDS = "my diagnosis is cyclothymia"


def core_on(database: Database, llm: FakeLLM):
    return assemble_core(
        stores=sql_stores(database, cache_ttl=0), llm=llm, tokens=TiktokenCounter(), clock=SystemClock(),
        options=CoreOptions(default_model="gpt-4o-mini"),
    )


async def answer(core, event_id: str, text_: str):
    message = IncomingMessage(event_id=event_id, key=DM, user="U1", text=text_, is_dm=True)
    events = [e async for e in core.chat.handle(message)]
    return events[-1], "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.fixture
def all_logs():
    """Every log line of the process (Parley's events, the libraries' logs, tracebacks), as JSON text."""
    stream = io.StringIO()
    configure_logging(log_format="json", level="DEBUG", stream=stream)
    yield stream
    configure_logging(log_format="console", level="INFO")


REFUSE_TURNS = {  # every new turn is refused by the database itself: reads work, the write fails
    "sqlite": ["CREATE TRIGGER refuse_turns BEFORE INSERT ON conversation_turns BEGIN SELECT RAISE(ABORT, 'refused'); END"],
    "postgresql": ["ALTER TABLE conversation_turns ADD CONSTRAINT refuse_turns CHECK (id < 0) NOT VALID"],
}
ALLOW_TURNS = {
    "sqlite": ["DROP TRIGGER refuse_turns"],
    "postgresql": ["ALTER TABLE conversation_turns DROP CONSTRAINT refuse_turns"],
}


async def run_sql(database: Database, statements: dict[str, list[str]]) -> None:
    async with database.engine.begin() as connection:
        for statement in statements[database.engine.url.get_backend_name()]:
            await connection.execute(text(statement))


async def test_a_failing_write_never_puts_the_message_text_in_a_log_line(database_url, all_logs):
    database = Database.from_url(database_url)
    try:
        core = core_on(database, FakeLLM())
        await run_sql(database, REFUSE_TURNS)
        try:
            outcome, _ = await answer(core, "e1", SECRET_WORDS)
        finally:
            await run_sql(database, ALLOW_TURNS)
        assert outcome.kind is OutcomeKind.FAILED and "something went wrong" in outcome.text
        logged = all_logs.getvalue()
        assert "reply.error" in logged and "INSERT INTO conversation_turns" in logged  # the write's failure
        assert "cyclothymia" not in logged
    finally:
        await database.dispose()


async def test_invalid_text_is_made_valid_once_at_the_entry(database_url):
    database = Database.from_url(database_url)
    llm = FakeLLM()
    try:
        core = core_on(database, llm)
        outcome, _ = await answer(core, "e1", "bad byte \udcff here and a broken pair \ud83d")
        assert outcome.kind is OutcomeKind.ANSWERED
        sent = llm.requests[-1].messages[-1].content
        assert sent == "bad byte \ufffd here and a broken pair \ufffd"
        sent.encode("utf-8")  # nothing a library could choke on
    finally:
        await database.dispose()


async def test_an_answer_that_trickles_forever_ends_at_the_deadline_and_frees_everything(database_url, llm):
    from core.assembly import LimitOptions
    from core.limits.budgets import BudgetCaps
    from core.llm.openai_provider import OpenAIProvider
    from tests.standins.openai_server import Trickle

    database = Database.from_url(database_url)
    provider = OpenAIProvider(api_key=None, base_url=llm.base_url, timeout=5.0, max_retries=0)
    caps = BudgetCaps({("user", "daily", "tokens"): 1_000_000})
    core = assemble_core(
        stores=sql_stores(database, cache_ttl=0), llm=provider, tokens=TiktokenCounter(), clock=SystemClock(),
        options=CoreOptions(
            default_model="gpt-4o-mini",
            limits=LimitOptions(caps=caps, max_in_flight=1, wait_timeout=1.0, llm_total_seconds=0.5),
        ),
    )
    try:
        llm.script(Trickle(delta="on and on ", interval=0.01))
        outcome, streamed = await answer(core, "e1", "tell me everything")
        assert outcome.kind is OutcomeKind.FAILED and "took too long" in outcome.text
        assert streamed.startswith("on and on")
        # the slot, the conversation and the reservation are free again: the next message is answered at once
        after, _ = await answer(core, "e2", "and now?")
        assert after.kind is OutcomeKind.ANSWERED
        charged = await core.usage.report(_actor(), group_by=None)
        assert charged.today[0].requests == 2 and charged.today[0].completion_tokens > 10  # the trickle was paid for
    finally:
        await provider.close()
        await database.dispose()


def _actor():
    from core.admin import Actor

    return Actor(platform=DM.platform, workspace=DM.workspace, channel=DM.channel, user="U1", is_dm=True)
