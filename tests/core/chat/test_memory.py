"""The memory window: newest turns within the persona's budget, older ones folded."""

from __future__ import annotations

from core.chat.memory import DROPPED_NOTICE, SUMMARISED_NOTICE, SUMMARY_PREFIX
from core.messages import OutcomeKind
from core.personas.values import Persona
from core.records import ChannelSettings
from core.messages import WorkspaceScope
from tests.core.conftest import DM, build_world, msg

WS = WorkspaceScope("slack", "T1")


async def _with_small_memory(world, budget: int) -> None:
    small = Persona(name="small", system_prompt="Be brief.", model="m", memory_budget=budget)
    await world.stores.personas.save(WS, small)
    await world.stores.channel_settings.put(DM.channel_scope(), ChannelSettings(persona="small"))


async def test_older_turns_are_folded_into_a_summary_and_the_footer_says_so():
    world = build_world()
    await _with_small_memory(world, budget=120)
    outcomes = [(await world.send(msg(f"fact {i}: " + "blah " * 15)))[1] for i in range(6)]
    assert all(o.kind is OutcomeKind.ANSWERED for o in outcomes)
    assert any(SUMMARISED_NOTICE in o.notices for o in outcomes)
    summary = world.turns.summaries[DM]
    assert summary.through_turn_id > 0
    last = world.llm.requests[-1]
    assert last.messages[1].role == "system" and last.messages[1].content.startswith(SUMMARY_PREFIX)
    summarise_calls = [r for r in world.llm.requests if r.max_tokens == 400]
    assert summarise_calls and "fact 0" in summarise_calls[0].messages[1].content


async def test_the_window_keeps_the_newest_turns_within_budget():
    world = build_world(memory_summaries=False)
    await _with_small_memory(world, budget=120)
    for i in range(6):
        _, outcome = await world.send(msg(f"fact {i}: " + "blah " * 15))
    assert DROPPED_NOTICE in outcome.notices
    history = [m.content for m in world.llm.requests[-1].messages[1:-1]]
    assert history and history[-1] == "echo: fact 4: " + ("blah " * 15).strip()
    assert not any("fact 0" in h for h in history)
    assert sum(len(h) for h in history) // 4 <= 120


async def test_small_conversations_have_no_footer(world):
    _, outcome = await world.send(msg("hi"))
    assert outcome.notices == ()


async def test_loading_the_window_reads_a_bounded_number_of_turns(world):
    for i in range(30):
        await world.send(msg(f"m{i}"))
    assert world.turns.reads and max(world.turns.reads) <= 200


async def test_memory_budget_zero_sends_no_history():
    world = build_world()
    await _with_small_memory(world, budget=0)
    await world.send(msg("one"))
    await world.send(msg("two"))
    assert [m.content for m in world.llm.requests[-1].messages[1:]] == ["two"]
