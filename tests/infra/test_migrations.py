"""Migrations: idempotent, in step with the models, quiet, and clear when the database is down."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.messages import ConversationKey
from core.records import NewTurn
from core.storage.conversations import SqlConversationStore
from core.storage.database import Database, DatabaseUnavailable
from core.storage.migrate import REPO_ROOT, upgrade_to_head
from core.storage.models import PARLEY_TABLES, Base
from tests.databases import sqlite_url

UNREACHABLE = "postgresql+asyncpg://postgres:s3cret-pw@127.0.0.1:1/x"
KEY = ConversationKey(platform="slack", workspace="T1", channel="C1")


async def _version(database: Database) -> list[str]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def test_upgrading_again_is_a_no_op(database_url: str, database: Database) -> None:
    store = SqlConversationStore(database)
    await store.add_turns([NewTurn(key=KEY, role="user", author="U1", content="kept", token_count=1)])

    await upgrade_to_head(database_url)
    await upgrade_to_head(database_url)

    from alembic.script import ScriptDirectory

    from core.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and int(head) >= 2
    assert await _version(database) == [head]
    assert [t.content for t in await store.recent_turns(KEY, limit=5)] == ["kept"]


async def test_the_migrations_create_exactly_the_models(database: Database, backend: str) -> None:
    options = {"compare_type": True, "compare_server_default": backend == "postgresql"}

    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert tables == {*PARLEY_TABLES, "alembic_version"}


async def test_unreachable_database_is_one_clear_line() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        await upgrade_to_head(UNREACHABLE)

    message = str(caught.value)
    assert "\n" not in message
    assert "127.0.0.1:1" in message
    assert "s3cret-pw" not in message
    assert caught.value.__cause__ is None


async def test_check_tells_up_from_down(database: Database) -> None:
    await database.check()

    down = Database.from_url(UNREACHABLE)
    try:
        with pytest.raises(DatabaseUnavailable, match=r"127\.0\.0\.1:1") as caught:
            await down.check()
        assert "s3cret-pw" not in str(caught.value)
    finally:
        await down.dispose()


async def test_migrating_leaves_logging_alone_and_prints_nothing(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    app_logger = logging.getLogger("parley.test.app")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    await upgrade_to_head(sqlite_url(tmp_path / "quiet.db"))

    assert app_logger.disabled is False
    assert root.handlers == handlers and root.level == level
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def _run_cli(cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "core.storage.migrate"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_cli_migrates_from_any_directory(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, sqlite_url(tmp_path / "cli.db"))

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1 and result.stderr == ""
    assert (tmp_path / "cli.db").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [(UNREACHABLE, "127.0.0.1:1"), ("mysql://nope", "DATABASE_URL")],
    ids=["unreachable", "bad-setting"],
)
def test_cli_failure_is_one_line_and_exit_1(tmp_path: Path, url: str, expected: str) -> None:
    result = _run_cli(tmp_path, url)

    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "s3cret-pw" not in lines[0]
