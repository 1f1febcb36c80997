"""Budget counters (BudgetCounterStore): all-or-nothing reservations in one transaction.

Each reservation is also written down as a hold (``budget_holds``: the
counter, the amount, when), deleted when the request settles.  A hold still
there long after its request must have ended belongs to a process that died
while the model answered: ``release_stale`` (run by the retention purger) takes
its amount back, so a crash does not eat into a budget until the period ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from core.records import BudgetKey, BudgetLine
from core.storage.database import DELETE_BATCH_ROWS, Database, dialect_insert
from core.storage.models import BudgetCounterRow, BudgetHoldRow, utcnow

Counter = BudgetCounterRow
Hold = BudgetHoldRow


class _Refused(Exception):
    """A counter without room: the reservation's transaction is rolled back as a whole."""

    def __init__(self, key: BudgetKey) -> None:
        super().__init__(key)
        self.key = key


def _is(key: BudgetKey) -> tuple:
    return (
        Counter.platform == key.platform, Counter.workspace == key.workspace, Counter.user == key.user,
        Counter.period == key.period, Counter.unit == key.unit,
    )


def _order(key: BudgetKey) -> tuple[str, ...]:
    return (key.platform, key.workspace, key.user, key.period, key.unit)


class SqlBudgetCounterStore:
    def __init__(self, database: Database, *, release_batch: int = DELETE_BATCH_ROWS):
        self._db = database
        self._release_batch = release_batch

    async def reserve(self, lines: Sequence[BudgetLine], *, hold: str) -> BudgetKey | None:
        """One conditional UPDATE per counter (``used + reserved + amount <= cap``), and the hold's rows.

        The database arbitrates: on PostgreSQL the row lock makes a concurrent
        UPDATE re-check the condition against the committed values; on SQLite
        writers are serialised.  Counters are touched in a fixed order so two
        requests never wait on each other crosswise.  Any refusal rolls the
        whole transaction back: nothing stays reserved.
        """
        if not lines:
            return None  # nothing to reserve always fits (and there is no hold to write)
        ordered = sorted(lines, key=lambda line: _order(line.key))

        def reserve(connection: Connection) -> None:
            for line in ordered:
                self._ensure(connection, line.key)
            counters = []
            for line in ordered:
                counter = connection.execute(
                    update(Counter)
                    .where(*_is(line.key), Counter.used + Counter.reserved + line.amount <= line.cap)
                    .values(reserved=Counter.reserved + line.amount)
                    .returning(Counter.id)
                ).scalar_one_or_none()
                if counter is None:
                    raise _Refused(line.key)
                counters.append(counter)
            now = utcnow()
            connection.execute(
                insert(Hold.__table__),
                [{"hold": hold, "counter_id": counter, "amount": line.amount, "created_at": now}
                 for counter, line in zip(counters, ordered)],
            )

        try:
            await self._db.run_quick(reserve)
        except _Refused as refused:
            return refused.key
        return None

    async def settle(self, lines: Sequence[tuple[BudgetKey, int, int]], *, hold: str | None = None) -> None:
        ordered = sorted(lines, key=lambda line: _order(line[0]))

        def settle(connection: Connection) -> None:
            # Whoever deletes the hold's rows takes its reservation back: this or release_stale, never both.
            held = hold is not None and connection.execute(delete(Hold).where(Hold.hold == hold)).rowcount > 0
            for key, reserved, actual in ordered:
                self._ensure(connection, key)
                connection.execute(
                    update(Counter)
                    .where(*_is(key))
                    .values(reserved=Counter.reserved - (reserved if held else 0), used=Counter.used + actual)
                )

        await self._db.run_quick(settle)

    async def release_stale(self, before: datetime) -> int:
        """Take back what holds made before ``before`` still reserve; a batch of holds per transaction."""
        stale = select(Hold.id, Hold.counter_id, Hold.amount).where(Hold.created_at < before).limit(self._release_batch)

        unsynchronised = {"synchronize_session": False}

        def release(session: Session) -> int:
            rows = session.execute(stale).all()
            if rows:
                # Only the rows this DELETE removed: a settle may have taken some meanwhile.
                gone = session.execute(
                    delete(Hold).where(Hold.id.in_([row.id for row in rows])).returning(Hold.id), execution_options=unsynchronised
                )
                released = set(gone.scalars())
                for row in rows:
                    if row.id in released:
                        session.execute(
                            update(Counter).where(Counter.id == row.counter_id).values(reserved=Counter.reserved - row.amount),
                            execution_options=unsynchronised,
                        )
            return len(rows)

        return await self._db.run_batches(release, size=self._release_batch)

    async def used(self, keys: Sequence[BudgetKey]) -> dict[BudgetKey, int]:
        def used(connection: Connection) -> dict[BudgetKey, int]:
            found: dict[BudgetKey, int] = {key: 0 for key in keys}
            for key in keys:
                value = connection.execute(select(Counter.used).where(*_is(key))).scalar_one_or_none()
                found[key] = int(value or 0)
            return found

        return await self._db.run_quick(used)

    @staticmethod
    def _ensure(connection: Connection, key: BudgetKey) -> None:
        """Create the counter (at zero) if this period has none yet."""
        statement = dialect_insert(connection, Counter.__table__).values(
            platform=key.platform, workspace=key.workspace, user=key.user, period=key.period, unit=key.unit,
            used=0, reserved=0,
        )
        connection.execute(statement.on_conflict_do_nothing(index_elements=["platform", "workspace", "user", "period", "unit"]))
