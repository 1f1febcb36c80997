"""The database handle: one async engine and its session factory per process.

Repositories do their work through ``Database.run(fn)``: ``fn`` is plain sync
SQLAlchemy code over a ``Session`` inside one transaction.  On a SQLite file it
runs on the Database's one worker thread (a sync engine on the same file), which
costs one thread hand-off per call instead of several per statement through
aiosqlite, and serialises this process's writers.  Elsewhere (PostgreSQL, an
in-memory SQLite) it runs through ``AsyncSession.run_sync`` on the async engine.

``Database.run_quick(fn)`` is for the few small indexed calls every message
makes (claim the event, read the memory window, store the exchange).  On a
SQLite file it runs on the event loop's own thread, without a hand-off, and
never waits for a lock there: if another writer holds the database it goes to
the worker thread like ``run``.  Nor does it copy the WAL back into the
database file there (a checkpoint: an fsync or two, about 10 ms); every
``QUICK_CALLS_PER_CHECKPOINT`` calls the worker thread does that instead.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from core.log import one_line
from core.storage.errors import values_hidden

R = TypeVar("R")
log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5_000
SQLITE_BUSY = 5  # sqlite3's primary result code for "database is locked"
QUICK_CALLS_PER_CHECKPOINT = 100
DELETE_BATCH_ROWS = 5_000
POSTGRES_CONNECT_TIMEOUT_S = 10
# A pooled PostgreSQL connection back in the pool for less than this is not pinged before it is used again
# (HikariCP's "alive bypass window" is half a second): ``ping_when_idle``.
POSTGRES_PING_IDLE_SECONDS = 1.0


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line, safe to show (no password)."""


def describe(url: str | URL) -> str:
    """Where a URL points, for messages: host and database, never the password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite database {parsed.database or ':memory:'}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"PostgreSQL at {host}{port} (database {parsed.database or '?'})"


def unavailable(url: str | URL, exc: BaseException) -> DatabaseUnavailable:
    """A one-line DatabaseUnavailable for a failure to connect to ``url``."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig  # the driver's message, without SQLAlchemy's [SQL: ...] and links
    reason = " ".join(str(cause).split()) or type(cause).__name__
    password = make_url(url).password
    if password:
        reason = reason.replace(str(password), "***")
    if len(reason) > 200:
        reason = reason[:197] + "..."
    return DatabaseUnavailable(f"{describe(url)} is not reachable: {reason}")


def connect_errors() -> tuple[type[BaseException], ...]:
    """What connecting can raise: refused/unresolvable/timed out sockets, plus the driver's errors (bad
    password, unknown database, unopenable file) as wrapped by SQLAlchemy, and asyncpg's own, which it raises
    unwrapped for some connect-time errors (auth).  asyncpg is looked for only among the loaded modules: a
    process on SQLite never loads it, and then cannot have had an error from it.  Anything else is a bug."""
    errors: tuple[type[BaseException], ...] = (OSError, TimeoutError, SQLAlchemyError)
    if (asyncpg := sys.modules.get("asyncpg")) is not None:
        errors += (asyncpg.PostgresError, asyncpg.InterfaceError)
    return errors


def create_engine_for(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine with Parley's per-backend connection settings.

    ``hide_parameters``: a failing statement's error never carries its values (message text, names) into
    an exception's text, and so into a log line.
    """
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if "poolclass" not in kwargs:  # the queue pool: the connection used last goes again, the others stay idle
            kwargs.setdefault("pool_use_lifo", True)
        kwargs["connect_args"] = {"timeout": POSTGRES_CONNECT_TIMEOUT_S, **kwargs.get("connect_args", {})}
    engine = create_async_engine(parsed, **kwargs)
    if backend == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(SQLITE_BUSY_TIMEOUT_MS))
    if backend == "postgresql" and not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine.sync_engine, idle_seconds=POSTGRES_PING_IDLE_SECONDS)  # survive a PostgreSQL restart
    return engine


def ping_when_idle(engine: Engine, *, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
    """SQLAlchemy's ``pool_pre_ping`` for the connections that need it: one that has been back in the pool for
    ``idle_seconds`` or more is pinged as it is checked out, and if the server has gone (restarted, failed
    over, the connection cut) every pooled connection is replaced before the statement runs.

    ``pool_pre_ping`` pings at every checkout: on asyncpg a BEGIN and a ROLLBACK, two round trips before each
    of a message's six to eight transactions, about 6% of the process's CPU on PostgreSQL under a burst. A
    connection that was in use a moment ago is alive; if the server went in that moment, the statement fails
    like one in flight would, and the pool is replaced then.
    """

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = clock()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")  # none on a connection just made (``info`` goes with it)
        if returned_at is None or clock() - returned_at < idle_seconds:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            raise InvalidatePoolError() from None  # the pool makes a new connection and goes on


def _sqlite_pragmas(busy_timeout_ms: int, *, auto_checkpoint: bool = True) -> Callable[[Any, Any], None]:
    """A "connect" listener setting Parley's pragmas on each new SQLite connection."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers proceed while one writer writes; the busy timeout makes a
        # second writer wait for the lock instead of failing with "database is locked".
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            # In WAL mode NORMAL never corrupts the database; a power cut may lose the last
            # commits. It saves an fsync per commit (several per message).
            cursor.execute("PRAGMA synchronous=NORMAL")
            if not auto_checkpoint:
                # Copying the WAL back into the database costs an fsync or two (about 10 ms);
                # run_quick's connection leaves that to the worker thread (Database._checkpoint_soon).
                cursor.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cursor.close()

    return on_connect


def _is_busy(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlite_errorcode", None) is not None and exc.orig.sqlite_errorcode & 0xFF == SQLITE_BUSY


def _is_sqlite_file(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and "mode=memory" not in str(url)


class Database:
    """An async engine plus ``sessions``, an ``async_sessionmaker(expire_on_commit=False)``, and ``run``."""

    def __init__(self, engine: AsyncEngine, **sync_engine_kwargs: Any):
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
        self._sync_sessions: sessionmaker[Session] | None = None
        self._sync_engine: Engine | None = None
        self._quick_engine: Engine | None = None
        self._quick_connection: Connection | None = None
        self._quick_calls = 0
        self._worker: ThreadPoolExecutor | None = None
        if _is_sqlite_file(engine.url):
            # The same file through the stdlib driver: one engine used only from the
            # worker thread, one only from the event loop's (run_quick), which never
            # waits for a lock (busy timeout 0).
            sync_url = engine.url.set(drivername="sqlite+pysqlite")
            sync_engine_kwargs.setdefault("hide_parameters", True)
            self._sync_engine = create_engine(sync_url, **sync_engine_kwargs)
            event.listen(self._sync_engine, "connect", _sqlite_pragmas(SQLITE_BUSY_TIMEOUT_MS))
            self._sync_sessions = sessionmaker(self._sync_engine, expire_on_commit=False)
            self._quick_engine = create_engine(sync_url, **sync_engine_kwargs)
            event.listen(self._quick_engine, "connect", _sqlite_pragmas(0, auto_checkpoint=False))

    @classmethod
    def from_url(cls, url: str | URL, **engine_kwargs: Any) -> Database:
        return cls(create_engine_for(url, **engine_kwargs), **engine_kwargs)

    @property
    def url(self) -> URL:
        """The engine's URL (``str()`` of it hides the password)."""
        return self.engine.url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def sync_engines(self) -> tuple[Engine, ...]:
        """Every engine statements run on: the async engine's, and on a SQLite file the worker's and the quick one."""
        return (self.engine.sync_engine, *(e for e in (self._sync_engine, self._quick_engine) if e is not None))

    async def run(self, fn: Callable[[Session], R]) -> R:
        """``fn(session)`` in one transaction (committed unless ``fn`` raises or rolls back); its result.

        ``fn`` is sync SQLAlchemy code and must return plain values, not ORM
        objects.  On a SQLite file it runs on this Database's single worker
        thread; otherwise via ``AsyncSession.run_sync`` on the async engine.
        """
        with values_hidden():
            if self._sync_sessions is None:
                async with self.sessions() as session, session.begin():
                    return await session.run_sync(fn)
            return await asyncio.get_running_loop().run_in_executor(
                self._worker_thread(), _in_transaction, self._sync_sessions, fn
            )

    def _checkpoint_soon(self) -> None:
        """Copy the WAL into the database file on the worker thread (run_quick's writes never do it)."""
        done = asyncio.get_running_loop().run_in_executor(self._worker_thread(), _checkpoint, self._sync_engine)
        done.add_done_callback(_log_checkpoint_failure)

    def _worker_thread(self) -> ThreadPoolExecutor:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-sqlite")
        return self._worker

    async def run_batches(self, fn: Callable[[Session], int], *, size: int = DELETE_BATCH_ROWS) -> int:
        """``run(fn)`` again while it reports a full batch (``size`` rows done); the total.

        For bulk deletes: each batch is a short transaction of its own, so the
        messages answered meanwhile get the database between batches instead of
        waiting for one long purge.
        """
        total = 0
        while True:
            done = await self.run(fn)
            total += done
            if done < size:
                return total

    async def run_quick(self, fn: Callable[[Connection], R]) -> R:
        """``fn(connection)`` in one transaction, for the small indexed work of every message.

        ``fn`` is sync SQLAlchemy Core over a ``Connection`` (no ORM session:
        less work per call) and must return plain values and have no effect
        outside its transaction.  On a SQLite file it runs here, on the event
        loop's thread: no hand-off to the worker and back (about half a
        millisecond per call on a small VM), for the price of holding the loop
        while it runs, which is why only small indexed work belongs here.  It
        never waits for a lock here: when another connection is writing
        ("database is locked" at once, busy timeout 0) the transaction is
        rolled back and ``fn`` runs again on the worker thread, which waits for
        the lock as ``run`` does.  Elsewhere (PostgreSQL, an in-memory SQLite)
        it runs through ``AsyncConnection.run_sync``.
        """
        with values_hidden():
            if self._quick_engine is None:
                async with self.engine.begin() as connection:
                    return await connection.run_sync(fn)
            self._quick_calls += 1
            if self._quick_calls % QUICK_CALLS_PER_CHECKPOINT == 0:
                self._checkpoint_soon()
            try:
                return self._on_quick_connection(fn)
            except OperationalError as exc:
                if not _is_busy(exc):
                    raise
            return await asyncio.get_running_loop().run_in_executor(
                self._worker_thread(), _on_connection, self._sync_engine, fn
            )

    def _on_quick_connection(self, fn: Callable[[Connection], R]) -> R:
        """``fn`` in a transaction on run_quick's one connection, kept open between calls (only the loop's thread
        uses it, one call at a time): no pool checkout, reset and checkin around every statement of a message."""
        connection = self._quick_connection
        if connection is None or connection.closed or connection.invalidated:
            if connection is not None:
                connection.close()
            assert self._quick_engine is not None
            connection = self._quick_connection = self._quick_engine.connect()
        with connection.begin():
            return fn(connection)

    async def check(self) -> None:
        """Run ``SELECT 1``; raise DatabaseUnavailable (one line) if that fails."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except connect_errors() as exc:
            raise unavailable(self.engine.url, exc) from None

    async def dispose(self) -> None:
        """Close every connection and stop the worker thread (a later ``run`` starts a new one)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            sync_engine = self._sync_engine
            assert sync_engine is not None
            # Close the worker's connections on the worker, then let the thread end.
            await asyncio.get_running_loop().run_in_executor(worker, sync_engine.dispose)
            worker.shutdown(wait=True)  # idle by now: the join is immediate
        if self._quick_connection is not None:
            self._quick_connection.close()
            self._quick_connection = None
        if self._quick_engine is not None:
            self._quick_engine.dispose()
        await self.engine.dispose()


def _in_transaction(sessions: sessionmaker[Session], fn: Callable[[Session], R]) -> R:
    with sessions() as session, session.begin():
        return fn(session)


def _on_connection(engine: Engine, fn: Callable[[Connection], R]) -> R:
    with engine.begin() as connection:
        return fn(connection)


def _checkpoint(engine: Engine) -> None:
    # PASSIVE: copies what it can without waiting for readers or blocking writers.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _log_checkpoint_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("sqlite.checkpoint_failed", error=one_line(done.exception()))


def per_dialect(build: Callable[[Callable[[Any], Any]], R]) -> dict[str, R]:
    """``build(insert)`` once per backend, for a prebuilt upsert: ``{"sqlite": ..., "postgresql": ...}``.

    A statement built once at import, with its values passed as parameters at
    execution, is compiled once and found in SQLAlchemy's cache by identity;
    one built per call (``.values(...)``) is hashed into a cache key every time.
    Pick the backend's with ``statements[dialect_of(session)]``.
    """
    return {"sqlite": build(sqlite.insert), "postgresql": build(postgresql.insert)}


CHANNEL_COLUMNS = ("platform", "workspace", "channel")


def in_channel(model: Any) -> tuple:
    """The WHERE of one channel's rows of ``model``, its values bound at execution (``channel_values``).

    For the statements of every message, built once at import: built per call, each comparison goes
    through five layers of SQLAlchemy's operators, and the statement is hashed into a cache key again.
    """
    return tuple(getattr(model, column) == bindparam(column) for column in CHANNEL_COLUMNS)


def channel_values(scope: Any) -> dict[str, str]:
    """A ChannelScope's values for ``in_channel``."""
    return {"platform": scope.platform, "workspace": scope.workspace, "channel": scope.channel}


def dialect_of(bind: Session | Connection) -> str:
    """The backend's name ("sqlite", "postgresql") of a session or a connection."""
    return (bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect).name


def dialect_insert(bind: Session | Connection, table: Any) -> Any:
    """``INSERT`` with ``on_conflict_do_update/nothing`` for the session's backend.

    SQLite and PostgreSQL spell upserts the same way in SQLAlchemy, which makes
    single-statement, race-free upserts possible on both.
    """
    name = dialect_of(bind)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are not implemented for {name}")
