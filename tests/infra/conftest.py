"""Fixtures for the storage tests: a migrated database on SQLite and on PostgreSQL.

SQLite: a fresh file per test, migrated with ``upgrade_to_head``.
PostgreSQL: the tables are dropped and re-migrated once per session, then
truncated before each test.  When PostgreSQL is not running the postgresql
variants skip, or fail when CI=true (see tests/services.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

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


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A freshly migrated PostgreSQL test database (once per session)."""
    url = make_url(POSTGRES_URL)
    where = f"{url.host}:{url.port or 5432}/{url.database}"
    require_service("PostgreSQL", postgres_reachable(POSTGRES_URL), where)
    run_in_fresh_loop(lambda: _reset_postgres(POSTGRES_URL))
    return POSTGRES_URL


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; for postgresql, also makes sure the server is there and migrated."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_url")
    return request.param


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of the parametrized backend."""
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "parley.db")
        await upgrade_to_head(url)
        return url
    url = POSTGRES_URL
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
