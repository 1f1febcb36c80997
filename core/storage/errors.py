"""What a failed statement may say: never its values, never the row the database quotes back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError


class StorageError(Exception):
    """A statement failed. The text names the error, its SQLSTATE and the statement (no values): the
    driver's own message can quote the row (PostgreSQL's "Failing row contains (…)"), so it is left out."""


@contextmanager
def values_hidden() -> Iterator[None]:
    """Turn a driver's error into a StorageError that carries no values (and no chained original)."""
    try:
        yield
    except DBAPIError as exc:
        original = exc.orig
        code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
        statement = " ".join((exc.statement or "").split())[:160]
        raise StorageError(f"{type(original).__name__}{f' [{code}]' if code else ''} in {statement}") from None
