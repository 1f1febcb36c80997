"""Four processes started at once on an empty database all come up (issue 16): migrations take a lock."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from sqlalchemy.engine import make_url

from tests.databases import _create_database, _drop_database
from tests.services import POSTGRES_URL, postgres_reachable, require_service, run_in_fresh_loop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def migrate_at_once(url: str, processes: int = 4) -> list[tuple[int, str]]:
    env = {**os.environ, "DATABASE_URL": url}
    started = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core.storage.migrate", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    results = []
    for process in started:
        out, err = await asyncio.wait_for(process.communicate(), 120)
        results.append((process.returncode, (out + err).decode()))
    return results


async def test_four_processes_migrate_an_empty_postgresql_database_at_once():
    require_service("PostgreSQL", postgres_reachable(POSTGRES_URL), POSTGRES_URL)
    name = f"parley_start_{uuid.uuid4().hex[:8]}"
    assert run_in_fresh_loop(lambda: _create_database(name)), "the test user may not CREATE DATABASE"
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        results = await migrate_at_once(url)
        assert all(code == 0 for code, _ in results), results
        assert all("up to date" in output and "Traceback" not in output for _, output in results)
    finally:
        run_in_fresh_loop(lambda: _drop_database(name))


async def test_four_processes_migrate_an_empty_sqlite_file_at_once(tmp_path):
    results = await migrate_at_once(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    assert all(code == 0 for code, _ in results), results
