"""Database.run: sync SQLAlchemy work in one transaction (a worker thread on SQLite files)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.storage.database import QUICK_CALLS_PER_CHECKPOINT, Database
from core.storage.inbox import SqlInbox
from core.storage.migrate import upgrade_to_head
from core.storage.models import ProcessedEventRow, utcnow
from tests.databases import sqlite_url
from tests.core.fakes import claim_event


@pytest.fixture
async def sqlite_database(tmp_path) -> AsyncIterator[Database]:
    url = sqlite_url(tmp_path / "run.db")
    await upgrade_to_head(url)
    database = Database.from_url(url)
    yield database
    await database.dispose()


def _alive(ident: int) -> bool:
    return any(thread.ident == ident and thread.is_alive() for thread in threading.enumerate())


async def test_sqlite_work_runs_on_one_worker_thread(sqlite_database: Database) -> None:
    inbox = SqlInbox(sqlite_database)
    results = await asyncio.gather(*(claim_event(inbox, platform="slack", event_id="Ev-one") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]

    idents = await asyncio.gather(*(sqlite_database.run(lambda _: threading.get_ident()) for _ in range(20)))
    assert len(set(idents)) == 1
    assert idents[0] != threading.get_ident()  # not the event loop's thread


async def test_dispose_stops_the_worker_thread_and_a_later_run_starts_another(sqlite_database: Database) -> None:
    first = await sqlite_database.run(lambda _: threading.get_ident())
    assert _alive(first)

    await sqlite_database.dispose()
    assert not _alive(first)

    second = await sqlite_database.run(lambda _: threading.get_ident())
    assert _alive(second)
    await sqlite_database.dispose()
    assert not _alive(second)
    await sqlite_database.dispose()  # idempotent


async def test_the_worker_connection_has_the_sqlite_pragmas(sqlite_database: Database) -> None:
    def pragmas(session: Session) -> tuple:
        return tuple(
            session.execute(text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "busy_timeout", "synchronous")
        )

    assert await sqlite_database.run(pragmas) == ("wal", 5_000, 1)  # synchronous 1 = NORMAL


async def test_run_commits_or_rolls_back_as_a_whole(database: Database) -> None:
    def claim(session: Session, event_id: str) -> None:
        session.add(ProcessedEventRow(platform="slack", event_id=event_id, created_at=utcnow()))

    def claim_then_fail(session: Session) -> None:
        claim(session, "Ev-lost")
        session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await database.run(claim_then_fail)
    await database.run(lambda session: claim(session, "Ev-kept"))

    count = select(func.count()).select_from(ProcessedEventRow)
    assert await database.run(lambda session: session.scalar(count)) == 1
    assert await claim_event(SqlInbox(database), platform="slack", event_id="Ev-lost") is True
    assert await claim_event(SqlInbox(database), platform="slack", event_id="Ev-kept") is False


async def test_run_quick_runs_on_the_event_loop_thread(sqlite_database: Database) -> None:
    assert await sqlite_database.run_quick(lambda _: threading.get_ident()) == threading.get_ident()
    assert await sqlite_database.run_quick(lambda connection: connection.execute(text("PRAGMA busy_timeout")).scalar()) == 0


async def test_run_quick_does_not_hold_the_loop_while_another_writer_has_the_lock(
    sqlite_database: Database, tmp_path
) -> None:
    """A write that meets a locked database goes to the worker, which waits; the loop keeps running."""
    inbox = SqlInbox(sqlite_database)
    assert await claim_event(inbox, platform="slack", event_id="Ev-before") is True  # the file and both engines exist

    holder = sqlite3.connect(tmp_path / "run.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, say
    holder.execute("INSERT INTO processed_events (platform, event_id, created_at) VALUES ('x', 'y', '2026-01-01')")
    try:
        claim = asyncio.create_task(claim_event(inbox, platform="slack", event_id="Ev-during"))
        ticks = 0
        while not claim.done() and ticks < 20:  # the loop runs other work meanwhile
            await asyncio.sleep(0)
            ticks += 1
        assert not claim.done() and ticks == 20
        assert await sqlite_database.run_quick(lambda connection: connection.execute(text("SELECT 1")).scalar()) == 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert await asyncio.wait_for(claim, timeout=10) is True
    assert await claim_event(inbox, platform="slack", event_id="Ev-during") is False


async def test_run_quick_leaves_checkpoints_to_the_worker_thread(sqlite_database: Database, tmp_path) -> None:
    """The loop's connection never copies the WAL into the file; the worker does, every so many calls."""
    assert await sqlite_database.run_quick(lambda connection: connection.execute(text("PRAGMA wal_autocheckpoint")).scalar()) == 0
    inbox = SqlInbox(sqlite_database)
    await claim_event(inbox, platform="slack", event_id="Ev-0")
    await sqlite_database.run(lambda _: None)  # whatever the worker had queued is done
    size_before = (tmp_path / "run.db").stat().st_size

    for n in range(1, QUICK_CALLS_PER_CHECKPOINT + 1):
        await claim_event(inbox, platform="slack", event_id=f"Ev-{n}-" + "x" * 200)
    await sqlite_database.run(lambda _: None)  # the checkpoint queued on the worker has run

    assert (tmp_path / "run.db").stat().st_size > size_before  # pages copied in from the WAL


async def test_run_quick_rolls_back_a_failed_call_and_its_connection_goes_on(sqlite_database: Database) -> None:
    """run_quick keeps one connection between calls: a call that raises leaves nothing behind on it."""
    inbox = SqlInbox(sqlite_database)
    assert await claim_event(inbox, platform="slack", event_id="Ev-first") is True

    def claim_then_fail(connection) -> None:
        connection.execute(
            text("INSERT INTO processed_events (platform, event_id, created_at) VALUES ('slack', 'Ev-lost', '2026-01-01')")
        )
        raise RuntimeError("the caller's own bug")

    with pytest.raises(RuntimeError):
        await sqlite_database.run_quick(claim_then_fail)
    assert await claim_event(inbox, platform="slack", event_id="Ev-lost") is True  # the failed insert was undone
    assert await claim_event(inbox, platform="slack", event_id="Ev-first") is False
