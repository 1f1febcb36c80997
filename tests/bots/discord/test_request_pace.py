"""Parley keeps Discord's global limit itself: no second ever holds more than 50 of its requests."""

from __future__ import annotations

from bots.discord.request_pace import RequestPace

GLOBAL_LIMIT = 50  # requests a second, for a bot, in all


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def busiest_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_a_burst_of_400_requests_never_puts_more_than_50_in_a_second():
    clock = Clock()
    pace = RequestPace(clock=clock)

    turns = sorted(clock.now + pace.reserve() for _ in range(400))  # 200 answers at once: a thread and a text each

    assert busiest_second(turns) <= GLOBAL_LIMIT
    assert turns[-1] - clock.now < 400 / 38 + 0.1  # and no slower than the limit makes it


def test_cosmetic_requests_go_only_when_a_turn_is_free_at_once():
    clock = Clock()
    pace = RequestPace(burst=2, per_second=10, clock=clock)

    assert not pace.behind() and pace.spare()  # one free turn taken
    assert pace.reserve() == 0.0  # the second free turn
    assert pace.behind() and not pace.spare()  # none left: typing and intermediate text wait
    clock.now += 0.11  # a tenth of a second (and a little) refills one turn
    assert pace.spare()
