"""Who asked to be forgotten, and when: so an answer in flight does not store their words afterwards.

``/parley forget-me`` deletes what is stored; an answer to one of that
person's messages that was already being generated would store the exchange a
moment later.  The message path asks here before it stores turns, and stores
none when the person asked to be forgotten after the message was admitted.
(In this process: another process's answer in flight is not seen here.)
"""

from __future__ import annotations

from datetime import datetime

MAX_PEOPLE = 10_000  # the oldest entries go first; an answer takes minutes, not days


class ForgetMeLedger:
    def __init__(self) -> None:
        self._asked: dict[tuple[str, str, str], datetime] = {}

    def asked(self, *, platform: str, workspace: str, user: str, at: datetime) -> None:
        if len(self._asked) >= MAX_PEOPLE:
            self._asked.pop(next(iter(self._asked)))
        self._asked[(platform, workspace, user)] = at

    def asked_since(self, *, platform: str, workspace: str, user: str, since: datetime) -> bool:
        at = self._asked.get((platform, workspace, user))
        return at is not None and at >= since
