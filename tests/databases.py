"""Database fixtures shared by tests/infra and tests/contracts: a migrated database on SQLite and on PostgreSQL.

SQLite: a fresh file per test, migrated with ``upgrade_to_head``.
PostgreSQL: a database of this test session's own, created on the server
(``PARLEY_TEST_POSTGRES_URL``, default the ``test`` database) and migrated
once, dropped at the end; its tables are truncated before each test.  Two test
runs on one machine therefore never share tables.  (A user that may not create
databases gets the given database itself, its tables dropped and re-migrated.)
When PostgreSQL is not running the postgresql variants skip, or fail when
CI=true (see tests/services.py).

The fixtures are registered for every test package by tests/conftest.py;
``database_url`` asks for a ``backend`` fixture ("sqlite" or "postgresql"),
which each folder parametrizes itself (tests/infra: the two SQL backends;
tests/contracts: those two and the in-memory fakes).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.storage.database import Database
from core.storage.migrate import upgrade_to_head
from core.storage.models import PARLEY_TABLES
from tests.services import POSTGRES_URL, postgres_reachable, require_service, run_in_fresh_loop

BACKENDS = ["sqlite", "postgresql"]


def _quoted(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


async def _reset_postgres(url: str) -> None:
    database = Database.from_url(url)
    try:
        async with database.engine.begin() as connection:
            tables = _quoted([*PARLEY_TABLES, "alembic_version"])
            await connection.execute(text(f"DROP TABLE IF EXISTS {tables} CASCADE"))
    finally:
        await database.dispose()
    await upgrade_to_head(url)


async def _create_database(name: str) -> bool:
    """CREATE DATABASE ``name`` on the test server; False if this user may not."""
    database = Database.from_url(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        return True
    except DBAPIError as exc:
        if "permission denied" in str(exc).lower():
            return False
        raise
    finally:
        await database.dispose()


async def _drop_database(name: str) -> None:
    database = Database.from_url(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A freshly migrated PostgreSQL database of this test session's own."""
    url = make_url(POSTGRES_URL)
    where = f"{url.host}:{url.port or 5432}/{url.database}"
    require_service("PostgreSQL", postgres_reachable(POSTGRES_URL), where)
    name = f"parley_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    if not run_in_fresh_loop(lambda: _create_database(name)):
        run_in_fresh_loop(lambda: _reset_postgres(POSTGRES_URL))
        yield POSTGRES_URL
        return
    own = url.set(database=name).render_as_string(hide_password=False)
    try:
        run_in_fresh_loop(lambda: upgrade_to_head(own))
        yield own
    finally:
        run_in_fresh_loop(lambda: _drop_database(name))


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def require_backend(request: pytest.FixtureRequest, backend: str) -> str:
    """For a ``backend`` fixture: for postgresql, make sure the server is there and migrated first."""
    if backend == "postgresql":
        request.getfixturevalue("postgres_url")
    return backend


@pytest.fixture
async def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database of the parametrized backend."""
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "parley.db")
        await upgrade_to_head(url)
        return url
    url = request.getfixturevalue("postgres_url")
    database = Database.from_url(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {_quoted(PARLEY_TABLES)} RESTART IDENTITY CASCADE"))
    finally:
        await database.dispose()
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


def same_url(database: Database) -> str:
    """The database's URL as a connectable string (for opening a second Database on it)."""
    return make_url(database.url).render_as_string(hide_password=False)
