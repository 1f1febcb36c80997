"""The inbox (Inbox): each message written when it arrives, kept until its answer is delivered.

One row per (platform, event id), so a platform's retries and double
deliveries collapse into one.  The primary key arbitrates ``accept`` inside the
database, across processes and hosts.  Unfinished rows carry their owner
process and a lease; ``take_over`` moves the rows of a process that went away
to another one, under ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite
serialises writers, so one process at a time takes over there).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select, tuple_, update
from sqlalchemy.orm import Session

from core.messages import Attachment, ConversationKey, IncomingMessage
from core.records import FINISHED_STATES, PENDING, STORED, UNFINISHED, Acceptance, PendingMessage, StoredAnswer
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_of, per_dialect
from core.storage.models import ProcessedEventRow

Event = ProcessedEventRow
EVENTS = Event.__table__
_FLAGS = ("is_dm", "mentions_bot", "in_bot_thread", "sender_is_admin")
_ONE = (EVENTS.c.platform == bindparam("p"), EVENTS.c.event_id == bindparam("e"))

# The statements every message runs, prebuilt with their values as parameters.
ACCEPT = per_dialect(lambda insert: insert(EVENTS).on_conflict_do_nothing(index_elements=["platform", "event_id"]))
NOTE_REPLY = update(EVENTS).where(*_ONE).values(reply_ref=bindparam("reply_ref"))
FINISH = update(EVENTS).where(*_ONE).values(
    state=bindparam("state"), text=None, answer=None, notices=None, owner=None, lease_until=None, attachments=None
)
LET_GO = update(EVENTS).where(*_ONE, EVENTS.c.state.in_(UNFINISHED)).values(owner=None, lease_until=bindparam("now"))
MARK_STORED = update(EVENTS).where(*_ONE, EVENTS.c.state == PENDING).values(
    state=STORED, answer=bindparam("answer"), notices=bindparam("notices")
)


class SqlInbox:
    def __init__(self, database: Database, *, delete_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._delete_batch = delete_batch

    async def accept(
        self, message: IncomingMessage, *, owner: str, now: datetime, lease_until: datetime
    ) -> Acceptance:
        values = _row_of(message) | {"state": PENDING, "owner": owner, "lease_until": lease_until, "created_at": now}

        def accept(connection: Connection) -> Acceptance:
            inserted = connection.execute(ACCEPT[dialect_of(connection)], values).rowcount == 1
            return Acceptance.NEW if inserted else Acceptance.DUPLICATE

        return await self._db.run_quick(accept)

    async def note_reply(self, *, platform: str, event_id: str, reply_ref: str) -> None:
        params = {"p": platform, "e": event_id, "reply_ref": reply_ref[:255]}
        await self._db.run_quick(lambda connection: connection.execute(NOTE_REPLY, params))

    async def finish(self, *, platform: str, event_id: str, state: str) -> None:
        if state not in FINISHED_STATES:
            raise ValueError(f"not a finished state: {state!r}")
        params = {"p": platform, "e": event_id, "state": state}
        await self._db.run_quick(lambda connection: connection.execute(FINISH, params))

    async def renew(self, *, owner: str, lease_until: datetime) -> int:
        statement = update(Event).where(Event.owner == owner, Event.state.in_(UNFINISHED)).values(
            lease_until=lease_until
        )
        return await self._db.run_quick(lambda connection: connection.execute(statement).rowcount)

    async def release(self, *, owner: str, now: datetime) -> int:
        statement = update(Event).where(Event.owner == owner, Event.state.in_(UNFINISHED)).values(lease_until=now)
        return await self._db.run(lambda session: session.execute(statement).rowcount)

    async def release_one(self, *, platform: str, event_id: str, now: datetime) -> None:
        params = {"p": platform, "e": event_id, "now": now}
        await self._db.run_quick(lambda connection: connection.execute(LET_GO, params))

    async def take_over(
        self, *, platform: str, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[PendingMessage]:
        def take(session: Session) -> list[PendingMessage]:
            due = (
                select(Event.platform, Event.event_id)
                .where(Event.platform == platform, Event.state.in_(UNFINISHED), Event.lease_until < now)
                .order_by(Event.created_at)
                .limit(limit)
            )
            if dialect_of(session) == "postgresql":
                due = due.with_for_update(skip_locked=True)
            taken = session.execute(
                update(Event)
                .where(tuple_(Event.platform, Event.event_id).in_(due))
                .values(owner=owner, lease_until=lease_until, attempts=Event.attempts + 1)
                .returning(*EVENTS.c),
                execution_options={"synchronize_session": False},
            )
            return sorted((_pending_of(row) for row in taken.mappings()), key=lambda p: p.received_at)

        return await self._db.run(take)

    async def forget_before(self, before: datetime) -> int:
        """Drop finished messages older than ``before``; returns how many (a batch per transaction)."""
        batch = (
            select(Event.platform, Event.event_id)
            .where(Event.created_at < before, Event.state.not_in(UNFINISHED))
            .limit(self._delete_batch)
        )

        def forget(session: Session) -> int:
            result = session.execute(
                delete(Event).where(tuple_(Event.platform, Event.event_id).in_(batch)),
                execution_options={"synchronize_session": False},
            )
            return result.rowcount

        return await self._db.run_batches(forget, size=self._delete_batch)


def mark_stored(connection: Connection, stored: StoredAnswer) -> None:
    """In the exchange's transaction (``SqlConversationStore.add_exchange``): the answer is stored."""
    connection.execute(
        MARK_STORED,
        {"p": stored.platform, "e": stored.event_id, "answer": stored.answer, "notices": json.dumps(stored.notices)},
    )


def _row_of(message: IncomingMessage) -> dict[str, object]:
    key = message.key
    return {
        "platform": key.platform, "event_id": message.event_id, "workspace": key.workspace, "channel": key.channel,
        "thread": key.thread, "user": message.user, "user_name": message.user_name[:255], "text": message.text,
        "flags": ",".join(flag for flag in _FLAGS if getattr(message, flag)),
        "attachments": _attachments_json(message.attachments),
    }


def _attachments_json(attachments: tuple[Attachment, ...]) -> str | None:
    """What a take-over needs to read the files again (never their content)."""
    if not attachments:
        return None
    return json.dumps([[a.name, a.mime_type, a.size, a.ref] for a in attachments])


def _attachments_of(raw: str | None) -> tuple[Attachment, ...]:
    return tuple(Attachment(name=n, mime_type=m, size=int(s), ref=r) for n, m, s, r in json.loads(raw or "[]"))


def _pending_of(row) -> PendingMessage:
    flags = set((row["flags"] or "").split(","))
    message = IncomingMessage(
        event_id=row["event_id"],
        key=ConversationKey(platform=row["platform"], workspace=row["workspace"] or "", channel=row["channel"] or "",
                            thread=row["thread"] or ""),
        user=row["user"] or "", text=row["text"] or "", user_name=row["user_name"] or "",
        received_at=row["created_at"], attachments=_attachments_of(row["attachments"]),
        **{flag: flag in flags for flag in _FLAGS},
    )
    return PendingMessage(
        message=message, state=row["state"], received_at=row["created_at"], reply_ref=row["reply_ref"] or "",
        answer=row["answer"] or "", notices=tuple(json.loads(row["notices"] or "[]")), attempts=row["attempts"],
    )

