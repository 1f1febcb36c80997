"""Rate limits, budgets and upstream protection, through the core (memory storage)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from core.assembly import LimitOptions
from core.limits.budgets import BudgetCaps
from core.llm_types import LLMError
from core.messages import OutcomeKind
from tests.core.conftest import CHANNEL, DM, actor, build_world, msg

ADMIN = actor("U_ADMIN", is_admin=True)


def limited_world(**limits):
    return build_world(limits=LimitOptions(**limits))


async def test_per_user_limit_refuses_with_which_limit_and_when_and_stores_nothing():
    world = limited_world(user="2/minute")
    for _ in range(2):
        assert (await world.send(msg("hi")))[1].kind is OutcomeKind.ANSWERED
    turns_before = len(world.turns.turns)
    _, refused = await world.send(msg("one more"))
    assert refused.kind is OutcomeKind.LIMITED and refused.reason == "rate_limit.user"
    assert "personal limit of 2 per minute" in refused.text and "Try again in" in refused.text
    assert 0 < refused.retry_after <= 60
    assert len(world.llm.requests) == 2 and len(world.turns.turns) == turns_before
    _, other_user = await world.send(msg("hi", user="U2", key=replace(DM, channel="D2")))
    assert other_user.kind is OutcomeKind.ANSWERED


async def test_channel_and_workspace_limits_count_everyone():
    world = limited_world(channel="2/minute")
    thread = replace(CHANNEL, thread="1.1")
    for user in ("U1", "U2"):
        assert (await world.send(msg("hi", key=thread, user=user, mentions_bot=True)))[1].kind is OutcomeKind.ANSWERED
    _, refused = await world.send(msg("hi", key=thread, user="U3", mentions_bot=True))
    assert refused.reason == "rate_limit.channel" and "this channel's limit" in refused.text
    _, elsewhere = await world.send(msg("hi", key=replace(CHANNEL, channel="C2", thread="2.2"), user="U3", mentions_bot=True))
    assert elsewhere.kind is OutcomeKind.ANSWERED

    world = limited_world(workspace="1/minute")
    await world.send(msg("hi"))
    _, refused = await world.send(msg("hi", user="U9", key=replace(DM, channel="D9")))
    assert refused.reason == "rate_limit.workspace"


async def test_a_limit_frees_up_when_its_window_moves_on():
    world = limited_world(user="1/second")
    await world.send(msg("a"))
    assert (await world.send(msg("b")))[1].kind is OutcomeKind.LIMITED
    deadline = time.monotonic() + 5
    while True:  # poll until the moving window lets the next one through
        _, outcome = await world.send(msg("c"))
        if outcome.kind is OutcomeKind.ANSWERED or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert outcome.kind is OutcomeKind.ANSWERED


async def test_admins_override_limits_from_chat_and_it_is_audited():
    world = limited_world(user="100/minute")
    run = world.core.commands.run
    member = actor("U1")
    assert not (await run(member, "parley", "limits set user 1/minute")).ok
    bad = await run(ADMIN, "parley", "limits set user lots")
    assert not bad.ok and "20/minute" in bad.text
    assert not (await run(ADMIN, "parley", "limits set galaxy 1/minute")).ok
    assert "`100/minute`" in (await run(member, "parley", "limits show")).text
    assert world.stores.audit.entries == []

    set_reply = await run(ADMIN, "parley", "limits set user 1/minute")
    assert set_reply.ok and "`1/minute`" in set_reply.text
    await world.send(msg("a"))
    assert (await world.send(msg("b")))[1].reason == "rate_limit.user"
    (entry,) = world.stores.audit.entries
    assert (entry.action, entry.before, entry.after) == ("limits.set", {"limit": "100/minute"}, {"limit": "1/minute"})

    assert (await run(ADMIN, "parley", "limits clear user")).ok
    assert (await world.send(msg("c")))[1].kind is OutcomeKind.ANSWERED


async def test_a_channel_override_applies_to_that_channel_only():
    world = limited_world(channel="100/minute")
    await world.core.commands.run(ADMIN, "parley", "limits set channel 1/minute")  # ADMIN is in C1
    here, there = replace(CHANNEL, thread="1.1"), replace(CHANNEL, channel="C2", thread="2.2")
    await world.send(msg("a", key=here, mentions_bot=True))
    assert (await world.send(msg("b", key=here, mentions_bot=True)))[1].kind is OutcomeKind.LIMITED
    assert (await world.send(msg("c", key=there, mentions_bot=True)))[1].kind is OutcomeKind.ANSWERED


async def test_admins_can_be_exempted_by_a_setting():
    world = limited_world(user="1/minute", exempt_admins=True)
    for _ in range(3):
        assert (await world.send(msg("hi", user="U_OWNER")))[1].kind is OutcomeKind.ANSWERED
    await world.send(msg("hi", user="U1", key=replace(DM, channel="D5")))
    assert (await world.send(msg("hi", user="U1", key=replace(DM, channel="D5"))))[1].kind is OutcomeKind.LIMITED
    assert (await world.send(msg("hi", user="U2", key=replace(DM, channel="D6"), sender_is_admin=True)))[1].kind is OutcomeKind.ANSWERED
    assert (await world.send(msg("hi", user="U2", key=replace(DM, channel="D6"), sender_is_admin=True)))[1].kind is OutcomeKind.ANSWERED


def caps(**values) -> BudgetCaps:
    return BudgetCaps({tuple(k.split("_")): v for k, v in values.items()})


async def test_a_budget_of_zero_allows_nothing_and_says_when_it_resets():
    world = limited_world(caps=caps(user_daily_tokens=0))
    _, refused = await world.send(msg("hi"))
    assert refused.kind is OutcomeKind.LIMITED and refused.reason == "budget.user.daily.tokens"
    assert "daily token budget is used up" in refused.text and "00:00 UTC" in refused.text
    assert world.llm.requests == [] and world.turns.turns == []


async def test_no_budget_is_not_zero():
    world = limited_world(caps=caps(user_daily_tokens=None, workspace_monthly_tokens=None))
    assert (await world.send(msg("hi")))[1].kind is OutcomeKind.ANSWERED


async def test_a_spent_daily_budget_resets_at_the_day_boundary():
    world = limited_world(caps=caps(workspace_daily_tokens=1_200))  # worst case ≈ 1,024 max tokens + prompt
    world.llm.script.append("long answer " * 170)  # uses ~500 tokens: the next worst case no longer fits
    assert (await world.send(msg("first")))[1].kind is OutcomeKind.ANSWERED
    world.clock.current = world.clock.current.replace(hour=23, minute=0)
    _, refused = await world.send(msg("second"))
    assert refused.reason == "budget.workspace.daily.tokens" and "This workspace's" in refused.text
    assert abs(refused.retry_after - 3600) < 1 and "in 60 min" in refused.text
    world.clock.advance(hours=1, seconds=1)
    fresh_conversation = replace(DM, channel="D7")  # (the first one's history alone no longer fits 1,200)
    assert (await world.send(msg("third", key=fresh_conversation)))[1].kind is OutcomeKind.ANSWERED


async def test_the_budget_day_follows_the_configured_time_zone():
    world = limited_world(caps=caps(user_daily_tokens=0), budget_timezone="Asia/Tokyo")
    _, refused = await world.send(msg("hi"))
    assert "00:00 Asia/Tokyo" in refused.text


async def test_money_budgets_use_the_price_table_and_refuse_a_model_without_a_price():
    world = limited_world(caps=caps(user_daily_usd=0.0008), prices={"gpt-4o-mini": (0.15, 0.60)})
    # worst case ≈ 40 prompt + 1,024 completion tokens ≈ $0.00062: fits once; the answer costs ≈ $0.0003
    world.llm.script.append("long answer " * 170)
    assert (await world.send(msg("a")))[1].kind is OutcomeKind.ANSWERED
    record = world.stores.usage.records[-1]
    assert record.cost_micro_usd and record.cost_micro_usd > 0
    _, refused = await world.send(msg("b"))
    assert refused.reason == "budget.user.daily.usd" and "spending budget" in refused.text
    unpriced = limited_world(caps=caps(user_daily_usd=0.0), prices={})  # no longer "free": refused
    assert (await unpriced.send(msg("a")))[1].reason == "budget.unpriced_model"


async def test_fifty_simultaneous_requests_against_a_budget_for_ten_get_ten_answers():
    world = limited_world(caps=caps(workspace_daily_tokens=10 * 1_100))  # worst case per request ≈ 1,060
    world.llm.gate = asyncio.Event()
    sends = [
        asyncio.create_task(world.send(msg("same question", user=f"U{i}", key=replace(DM, channel=f"D{i}"))))
        for i in range(50)
    ]
    while len(world.llm.requests) < 10 and not all(t.done() for t in sends[10:]):
        await asyncio.sleep(0)
    world.llm.gate.set()
    outcomes = [outcome for _, outcome in await asyncio.gather(*sends)]
    kinds = [o.kind for o in outcomes]
    assert kinds.count(OutcomeKind.ANSWERED) == 10 and kinds.count(OutcomeKind.LIMITED) == 40
    assert len(world.llm.requests) == 10


async def test_a_failed_call_gives_its_reservation_back():
    world = limited_world(caps=caps(user_daily_tokens=1_200))
    world.llm.script.append(LLMError("down"))
    assert (await world.send(msg("a")))[1].kind is OutcomeKind.FAILED
    assert (await world.send(msg("b")))[1].kind is OutcomeKind.ANSWERED


async def test_limits_show_lists_limits_and_budgets():
    world = limited_world(user="5/minute", caps=caps(workspace_monthly_tokens=1_000_000))
    await world.send(msg("hi"))
    text = (await world.core.commands.run(actor("U1"), "parley", "limits show")).text
    assert "user: `5/minute`" in text and "workspace monthly:" in text and "of 1,000,000 tokens" in text


async def test_llm_calls_beyond_the_concurrency_cap_wait_then_get_a_busy_answer():
    world = limited_world(max_in_flight=2, max_waiting=1, wait_timeout=0.3)
    world.llm.gate = asyncio.Event()
    keys = [replace(DM, channel=f"D{i}") for i in range(4)]
    first_two = [asyncio.create_task(world.send(msg("hold", key=k))) for k in keys[:2]]
    while len(world.llm.requests) < 2:
        await asyncio.sleep(0)
    waiting = asyncio.create_task(world.send(msg("wait", key=keys[2])))
    while world.core.chat._generation._llm.waiting < 1:  # noqa: SLF001 - observe the queue without sleeping
        await asyncio.sleep(0)
    _, rejected = await world.send(msg("no room", key=keys[3]))
    assert rejected.kind is OutcomeKind.LIMITED and rejected.reason == "llm_busy" and "try again" in rejected.text
    _, timed_out = await waiting
    assert timed_out.kind is OutcomeKind.LIMITED and timed_out.retry_after == 0.3
    world.llm.gate.set()
    assert all(o.kind is OutcomeKind.ANSWERED for _, o in await asyncio.gather(*first_two))
