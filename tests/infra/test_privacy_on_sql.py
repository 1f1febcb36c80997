"""Privacy on real storage: redacted text never reaches the database nor the LLM request; retention
purges by an injected clock; forget-me spans threads and channels; memory off stores nothing; export."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from core.admin import Actor
from core.assembly import CoreOptions, assemble_core
from core.bootstrap import sql_stores
from core.filters.openai_moderation import OpenAIModeration
from core.llm.openai_provider import OpenAIProvider
from core.messages import ConversationKey, IncomingMessage, OutcomeKind
from core.storage.database import Database
from core.storage.migrate import upgrade_to_head
from core.storage.models import PARLEY_TABLES
from core.tokens import EstimatingTokenCounter
from tests.core.fakes import FakeClock, FakeLLM
from tests.databases import sqlite_url
from tests.standins.openai_server import OpenAIStandIn

CHANNEL = ConversationKey(platform="slack", workspace="T1", channel="C1")
ADMIN = Actor(platform="slack", workspace="T1", channel="C1", user="U_ADMIN", is_admin=True)
SECRETS = {
    "ada.lovelace@example.com": "[email]",
    "4111 1111 1111 1111": "[card]",
    "DE89 3704 0044 0532 0130 00": "[iban]",
    "+44 20 7946 0958": "[phone]",
    "sk-proj-Zx9vQ2mN8bL4kT7rW1yU5pE3sA6dF0gH": "[openai-key]",
    "ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ": "[github-token]",
}


def core_on(database: Database, llm, *, clock: FakeClock | None = None, moderator=None):
    return assemble_core(
        stores=sql_stores(database), llm=llm, tokens=EstimatingTokenCounter(), clock=clock or FakeClock(),
        options=CoreOptions(default_model="gpt-4o-mini", admins=frozenset({"U_ADMIN"})), moderator=moderator,
    )


_events = itertools.count(1)


async def send(core, text_: str, *, key: ConversationKey = CHANNEL, user: str = "U1"):
    message = IncomingMessage(event_id=f"ev-{next(_events)}", key=key, user=user, text=text_, mentions_bot=True)
    events = [e async for e in core.chat.handle(message)]
    return events[-1]


async def everything_stored(database: Database) -> str:
    dump = []
    async with database.engine.connect() as connection:
        for table in PARLEY_TABLES:
            dump += [repr(tuple(row)) for row in (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()]
    return "\n".join(dump)


async def test_redacted_text_never_reaches_the_database_nor_the_llm_request(tmp_path: Path):
    url = sqlite_url(tmp_path / "parley.db")
    await upgrade_to_head(url)
    database = Database.from_url(url)
    async with OpenAIStandIn() as server:
        llm = OpenAIProvider(api_key="test-key", base_url=server.base_url, timeout=5.0, max_retries=0)
        moderator = OpenAIModeration(api_key="test-key", base_url=server.base_url, model="omni-moderation-latest")
        try:
            core = core_on(database, llm, moderator=moderator)
            thread = replace(CHANNEL, thread="1.1")
            message = "Here are my details: " + ", ".join(SECRETS) + ". Please remember them."
            first = await send(core, message, key=thread)
            second = await send(core, "what did I tell you?", key=thread)
            assert first.kind is second.kind is OutcomeKind.ANSWERED
            assert all(placeholder in first.text for placeholder in SECRETS.values())

            sent = json.dumps([r.json for r in server.requests])  # chat requests (with history) and moderation
            stored = await everything_stored(database)
            await database.dispose()
            files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("parley.db"))
            for original in SECRETS:
                assert original not in sent and original not in stored
                assert original.encode() not in files
            history = [m["content"] for m in server.chat_requests[-1].json["messages"]]
            assert "[card]" in history[1] and "[openai-key]" in history[2]  # the memory holds placeholders only
            assert "'pii', 'email', 'redacted'" in stored  # the decision, without the address
        finally:
            await llm.close()
            await moderator.close()
            await database.dispose()


async def test_retention_purges_by_the_injected_clock(database: Database):
    clock = FakeClock()
    core = core_on(database, FakeLLM(), clock=clock)
    await send(core, "old one", key=replace(CHANNEL, thread="1.1"))
    await send(core, "old two", key=replace(CHANNEL, thread="2.2"))
    await send(core, "elsewhere", key=replace(CHANNEL, channel="C2", thread="9.9"))
    clock.advance(days=3)
    await send(core, "new", key=replace(CHANNEL, thread="1.1"))
    assert (await core.commands.run(ADMIN, "parley", "retention 2")).ok

    assert await core.purger.purge_once() == 4
    stores = sql_stores(database)
    kept = await stores.conversations.channel_turns(CHANNEL.channel_scope(), limit=100)
    assert [t.content for t in kept] == ["new", "echo: new"]
    other = await stores.conversations.channel_turns(replace(CHANNEL, channel="C2").channel_scope(), limit=100)
    assert len(other) == 2  # another channel's retention is its own
    clock.advance(days=3)
    assert await core.purger.purge_once() == 2


async def test_forget_me_deletes_my_turns_across_threads_and_channels(database: Database):
    core = core_on(database, FakeLLM())
    await send(core, "mine in a thread", key=replace(CHANNEL, thread="1.1"))
    await send(core, "mine in another thread", key=replace(CHANNEL, thread="2.2"))
    await send(core, "mine in another channel", key=replace(CHANNEL, channel="C2", thread="3.3"))
    await send(core, "not mine", key=replace(CHANNEL, thread="1.1"), user="U2")
    await send(core, "mine elsewhere", key=replace(CHANNEL, workspace="T2", thread="4.4"))

    me = Actor(platform="slack", workspace="T1", channel="C7", user="U1")
    reply = await core.commands.run(me, "parley", "forget-me")
    assert reply.ok and "deleted 3 stored messages" in reply.text

    stored = await everything_stored(database)
    assert "'U1', 'mine in" not in stored  # every message U1 wrote in T1, in every thread and channel
    assert "'U2', 'not mine'" in stored and "'U1', 'mine elsewhere'" in stored  # others', and another workspace's


async def test_memory_off_stores_nothing_and_export_gives_what_is_stored(database: Database):
    llm = FakeLLM()
    core = core_on(database, llm)
    await send(core, "kept", key=replace(CHANNEL, thread="1.1"))
    assert (await core.commands.run(ADMIN, "parley", "memory off")).ok
    await send(core, "not kept", key=replace(CHANNEL, thread="1.1"))
    assert [m.role for m in llm.requests[-1].messages] == ["system", "user"]

    reply = await core.commands.run(ADMIN, "parley", "export")
    rows = [json.loads(line) for line in reply.file.content.decode().splitlines()]
    assert [(r["role"], r["content"]) for r in rows] == [("user", "kept"), ("assistant", "echo: kept")]
