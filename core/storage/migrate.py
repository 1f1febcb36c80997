"""Bring the database schema up to date: ``python -m core.storage.migrate``.

``upgrade_to_head(url)`` runs alembic's ``upgrade head`` in-process over an
async connection, from any working directory, without touching the app's
logging configuration.  Several processes started at once migrate one after
the other: on PostgreSQL under a transaction-level advisory lock, on a SQLite
file under an exclusive lock on ``<database>.migrate-lock``; the others then
find the schema current.
"""

from __future__ import annotations

import asyncio
import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from core.storage.database import DatabaseUnavailable, connect_errors, create_engine_for, describe, unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
MIGRATIONS = REPO_ROOT / "migrations"


def alembic_config() -> Config:
    """The project's alembic Config, with paths made absolute and logging left alone."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["configure_logger"] = False
    return config


MIGRATION_LOCK_KEY = 0x7061726C6579  # "parley": the advisory lock every Parley process migrates under


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    if connection.dialect.name == "postgresql":
        # Held until this transaction commits (with the migrations): the next process waits, then finds
        # alembic_version current and does nothing.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        command.upgrade(config, "head")
        return
    with _file_lock(connection.engine.url):
        command.upgrade(config, "head")


@contextmanager
def _file_lock(url: URL) -> Iterator[None]:
    """An exclusive lock beside a SQLite database file (nothing for an in-memory database)."""
    database = url.database or ""
    if database in ("", ":memory:") or "mode=memory" in str(url):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def upgrade_to_head(url: str | URL) -> None:
    """Apply every pending migration; a no-op when the schema is current.

    Raises DatabaseUnavailable (one line, no password) when ``url`` cannot be
    reached; any other failure is a real migration error and propagates.
    """
    url = make_url(url)
    engine = create_engine_for(url, poolclass=NullPool)
    try:
        try:
            connection = await engine.connect()
        except connect_errors() as exc:
            raise unavailable(url, exc) from None
        try:
            await connection.run_sync(_upgrade, alembic_config())
            await connection.commit()
        finally:
            await connection.close()
    finally:
        await engine.dispose()


def main() -> int:
    from core.config import SettingsError, load_settings

    try:
        url = load_settings().database_url
        asyncio.run(upgrade_to_head(url))
    except (DatabaseUnavailable, SettingsError) as exc:
        print(f"Migration failed: {exc}", file=sys.stderr)
        return 1
    print(f"{describe(url)} is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
