"""Budget counters (BudgetCounterStore): all-or-nothing reservations in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select, update

from core.ports import BudgetKey, BudgetLine
from core.storage.database import Database, dialect_insert
from core.storage.models import BudgetCounterRow

B = BudgetCounterRow


class _Refused(Exception):
    """A counter without room: the reservation's transaction is rolled back as a whole."""

    def __init__(self, key: BudgetKey) -> None:
        super().__init__(key)
        self.key = key


def _is(key: BudgetKey) -> tuple:
    return (
        B.platform == key.platform, B.workspace == key.workspace, B.user == key.user,
        B.period == key.period, B.unit == key.unit,
    )


def _order(key: BudgetKey) -> tuple[str, ...]:
    return (key.platform, key.workspace, key.user, key.period, key.unit)


class SqlBudgetCounterStore:
    def __init__(self, database: Database):
        self._db = database

    async def reserve(self, lines: Sequence[BudgetLine]) -> BudgetKey | None:
        """One conditional UPDATE per counter (``used + reserved + amount <= cap``).

        The database arbitrates: on PostgreSQL the row lock makes a concurrent
        UPDATE re-check the condition against the committed values; on SQLite
        writers are serialised.  Counters are touched in a fixed order so two
        requests never wait on each other crosswise.  Any refusal rolls the
        whole transaction back: nothing stays reserved.
        """
        ordered = sorted(lines, key=lambda line: _order(line.key))

        def reserve(connection: Connection) -> None:
            for line in ordered:
                self._ensure(connection, line.key)
            for line in ordered:
                result = connection.execute(
                    update(B)
                    .where(*_is(line.key), B.used + B.reserved + line.amount <= line.cap)
                    .values(reserved=B.reserved + line.amount)
                )
                if result.rowcount != 1:
                    raise _Refused(line.key)

        try:
            await self._db.run_quick(reserve)
        except _Refused as refused:
            return refused.key
        return None

    async def settle(self, lines: Sequence[tuple[BudgetKey, int, int]]) -> None:
        ordered = sorted(lines, key=lambda line: _order(line[0]))

        def settle(connection: Connection) -> None:
            for key, reserved, actual in ordered:
                self._ensure(connection, key)
                connection.execute(
                    update(B).where(*_is(key)).values(reserved=B.reserved - reserved, used=B.used + actual)
                )

        await self._db.run_quick(settle)

    async def used(self, keys: Sequence[BudgetKey]) -> dict[BudgetKey, int]:
        def used(connection: Connection) -> dict[BudgetKey, int]:
            found: dict[BudgetKey, int] = {key: 0 for key in keys}
            for key in keys:
                value = connection.execute(select(B.used).where(*_is(key))).scalar_one_or_none()
                found[key] = int(value or 0)
            return found

        return await self._db.run_quick(used)

    @staticmethod
    def _ensure(connection: Connection, key: BudgetKey) -> None:
        statement = dialect_insert(connection, B.__table__).values(
            platform=key.platform, workspace=key.workspace, user=key.user, period=key.period, unit=key.unit,
            used=0, reserved=0,
        )
        connection.execute(statement.on_conflict_do_nothing(index_elements=["platform", "workspace", "user", "period", "unit"]))
