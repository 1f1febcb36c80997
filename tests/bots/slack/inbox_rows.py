"""Reading the inbox the way a test needs to: one message's row, as the database holds it now."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from core.storage.database import Database
from core.storage.models import ProcessedEventRow

Event = ProcessedEventRow


async def inbox_row(database: Database, event_id: str, *, platform: str = "slack") -> dict[str, Any] | None:
    """The message's inbox row (state, owner, reply_ref, …), or None when it was never accepted."""
    statement = select(Event.__table__).where(Event.platform == platform, Event.event_id == event_id)

    def read(connection) -> dict[str, Any] | None:
        row = connection.execute(statement).mappings().first()
        return dict(row) if row is not None else None

    return await database.run_quick(read)


def event_id_of(event: dict[str, Any]) -> str:
    """The core's id of a Slack message event (``bots.slack.translate``: ``"{channel}:{ts}"``)."""
    return f"{event['channel']}:{event['ts']}"


async def wait_for_row(
    database: Database, event_id: str, condition: Callable[[dict[str, Any]], bool], *, timeout: float = 10.0
) -> dict[str, Any]:
    """Poll the message's row until ``condition`` holds for it (TimeoutError after ``timeout``): for what a
    process writes and announces nowhere else (a reply noted, a message finished)."""
    async with asyncio.timeout(timeout):
        while True:
            row = await inbox_row(database, event_id)
            if row is not None and condition(row):
                return row
            await asyncio.sleep(0.02)
