"""`/parley usage`'s chart: the numbers it is drawn from, and the PNG itself (fakes at the ports)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from PIL import Image

from core.assembly import LimitOptions
from core.limits.budgets import BudgetCaps
from core.limits.usage_chart import BUDGET_COLOUR, CHART_DAYS, HEIGHT_PX, WIDTH_PX, BudgetLine
from core.records import UsageRecord
from tests.core.conftest import actor, build_world
from tests.core.fakes import FakeClock

ADMIN = actor("U_ADMIN", is_admin=True)
MEMBER = actor("U_MEMBER")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)


def used(user: str, model: str, tokens: int, *, days_ago: int, cost: int | None = None) -> UsageRecord:
    return UsageRecord(
        platform="slack", workspace="T1", channel="C1", user=user, model=model, prompt_tokens=tokens,
        completion_tokens=0, created_at=NOW - timedelta(days=days_ago), cost_micro_usd=cost,
    )


def caps(**values: float) -> BudgetCaps:
    return BudgetCaps({tuple(name.split("_")): value for name, value in values.items()})


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


async def test_the_chart_shows_30_days_by_model_with_the_budgets_that_apply():
    world = build_world(
        clock=FakeClock(NOW),
        limits=LimitOptions(caps=caps(workspace_daily_tokens=5_000, user_daily_tokens=800, workspace_daily_usd=2.0)),
    )
    for record in [
        used("U_MEMBER", "gpt-4o", 1_000, days_ago=0, cost=250_000),
        used("U_ADMIN", "gpt-4o", 500, days_ago=0, cost=125_000),
        used("U_MEMBER", "gpt-4o-mini", 300, days_ago=29),
        used("U_MEMBER", "gpt-4o-mini", 7_000, days_ago=30),  # the 31st day back: not shown
    ]:
        await world.stores.usage.record(record)

    workspace = await world.core.usage.chart_data(ADMIN, workspace=True)
    assert len(workspace.days) == CHART_DAYS
    assert (workspace.days[0], workspace.days[-1]) == (date(2026, 11, 1), date(2026, 11, 30))
    assert workspace.tokens["gpt-4o"][-1] == 1_500 and workspace.tokens["gpt-4o-mini"][0] == 300
    assert workspace.cost_usd["gpt-4o"][-1] == 0.375
    assert sum(map(sum, workspace.tokens.values())) == 1_800
    assert workspace.token_budgets == (BudgetLine("workspace daily budget", 5_000),)
    assert workspace.usd_budgets == (BudgetLine("workspace daily budget", 2.0),)

    mine = await world.core.usage.chart_data(MEMBER, workspace=False)
    assert mine.tokens_on(date(2026, 11, 30)) == 1_000
    assert mine.token_budgets == (BudgetLine("your daily budget", 800),) and mine.usd_budgets == ()


async def test_usage_replies_with_a_png_of_the_chart():
    world = build_world(clock=FakeClock(NOW), limits=LimitOptions(caps=caps(user_daily_tokens=800)))
    await world.stores.usage.record(used("U_MEMBER", "gpt-4o", 1_000, days_ago=1))

    reply = await world.core.commands.run(MEMBER, "parley", "usage")
    assert reply.ok and reply.file is not None and reply.file.mime_type == "image/png"
    assert reply.file.filename == "parley-usage-20261130-150000.png"
    image = Image.open(io.BytesIO(reply.file.content))
    image.load()
    assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    pixels = image.convert("RGB")
    colours = {pixels.getpixel((x, y)) for x in range(0, WIDTH_PX, 2) for y in range(0, HEIGHT_PX // 2, 2)}
    assert rgb(BUDGET_COLOUR) in colours  # the budget line is drawn
    assert rgb("#1f77b4") in colours  # and the bar of the one model (matplotlib's first colour)
    assert "your tokens and estimated cost per day" in reply.text
