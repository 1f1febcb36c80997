"""Erasing a workspace that removed the app, on real SQL: every table keyed by the workspace loses its rows,
in batches; another workspace keeps all of its own; the purge waits for the grace period (injected clock)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from core.admin import Actor
from core.assembly import CoreOptions, LimitOptions, assemble_core
from core.limits.budgets import BudgetCaps
from core.bootstrap import sql_stores
from core.messages import ConversationKey, IncomingMessage, OutcomeKind, WorkspaceScope
from core.storage.database import Database
from core.storage.departures import SqlDepartureStore, workspace_tables
from core.tokens import EstimatingTokenCounter
from tests.core.fakes import FakeClock, FakeLLM

ACME, GLOBEX = "T_ACME", "T_GLOBEX"
_events = itertools.count(1)
OPTIONS = CoreOptions(  # a workspace budget, so that budget counters exist too
    default_model="gpt-4o-mini", uninstall_grace=timedelta(days=3),
    limits=LimitOptions(caps=BudgetCaps({("workspace", "daily", "tokens"): 1_000_000})),
)


async def _fill(core, workspace: str) -> None:
    """Data of every kind a workspace makes: turns, inbox, usage, budgets, personas, settings, limits, filters."""
    admin = Actor(platform="slack", workspace=workspace, channel="C1", user="U_ADMIN", is_admin=True)
    for line in ("create pirate Talk like a pirate.", "use pirate"):
        assert (await core.commands.run(admin, "persona", line)).ok
    for line in ("retention 30", "limits set user 5/minute", "filter block sesame", "filter set pii off"):
        assert (await core.commands.run(admin, "parley", line)).ok, line
    for thread in ("1.1", "2.2"):
        key = ConversationKey(platform="slack", workspace=workspace, channel="C1", thread=thread)
        message = IncomingMessage(event_id=f"ev-{next(_events)}", key=key, user="U1", text="hello", mentions_bot=True)
        events = [event async for event in core.chat.handle(message)]
        assert events[-1].kind is OutcomeKind.ANSWERED
    blocked = IncomingMessage(event_id=f"ev-{next(_events)}", key=ConversationKey("slack", workspace, "C1", "3.3"),
                              user="U1", text="open sesame", mentions_bot=True)
    assert [event async for event in core.chat.handle(blocked)][-1].kind is OutcomeKind.BLOCKED


async def _rows_of(database: Database, workspace: str) -> dict[str, int]:
    counts = {}
    async with database.engine.connect() as connection:
        for table in workspace_tables():
            query = select(func.count()).select_from(table).where(table.c.workspace == workspace)
            counts[table.name] = (await connection.execute(query)).scalar_one()
    return counts


async def test_a_departed_workspace_is_erased_after_the_grace_period_and_only_it(database: Database) -> None:
    clock = FakeClock()
    stores = replace(sql_stores(database, cache_ttl=0), departures=SqlDepartureStore(database, delete_batch=2))
    core = assemble_core(
        stores=stores, llm=FakeLLM(), tokens=EstimatingTokenCounter(), clock=clock,
        options=OPTIONS,
    )
    await _fill(core, ACME)
    await _fill(core, GLOBEX)
    globex_before = await _rows_of(database, GLOBEX)
    assert all(globex_before[name] for name in
               ("conversation_turns", "filter_decisions", "processed_events", "usage_records", "personas", "channel_settings",
                "limit_overrides", "filter_rules", "filter_policies", "audit_log", "budget_counters"))

    await core.departures.left(WorkspaceScope("slack", ACME), reason="app_uninstalled")
    clock.advance(days=3, seconds=-1)
    await core.purger.purge_once()
    assert (await _rows_of(database, ACME))["conversation_turns"] > 0  # still within the grace period

    clock.advance(seconds=2)
    await core.purger.purge_once()

    acme_after = await _rows_of(database, ACME)
    assert {name: count for name, count in acme_after.items() if name != "audit_log"} == dict.fromkeys(
        (name for name in acme_after if name != "audit_log"), 0)
    entries = await stores.audit.recent(WorkspaceScope("slack", ACME))
    assert [(e.action, e.actor) for e in entries] == [("workspace.erased", "platform")]  # the one line kept
    assert entries[0].after["rows"] > 0
    assert await _rows_of(database, GLOBEX) == globex_before


async def test_a_workspace_back_within_the_grace_period_keeps_its_data(database: Database) -> None:
    clock = FakeClock()
    core = assemble_core(
        stores=sql_stores(database, cache_ttl=0), llm=FakeLLM(), tokens=EstimatingTokenCounter(), clock=clock,
        options=OPTIONS,
    )
    await _fill(core, ACME)
    scope = WorkspaceScope("slack", ACME)
    await core.departures.left(scope, reason="tokens_revoked")
    clock.advance(days=1)
    await core.departures.returned(scope)
    before = await _rows_of(database, ACME)

    clock.advance(days=5)  # past the grace period, within retention and the inbox's 7 days
    await core.purger.purge_once()

    assert await _rows_of(database, ACME) == before
    actions = [e.action for e in await core.departures._audit.recent(scope)][:2]
    assert actions == ["workspace.returned", "workspace.left"]
