"""The core pipeline, end to end with fakes at the ports."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from structlog.testing import capture_logs

from core.llm_types import ContextTooLong, LLMError, LLMTimeout
from core.messages import OutcomeKind
from core.personas.values import Persona
from core.records import ChannelSettings, FilterVerdict, LimitDecision
from core.messages import WorkspaceScope
from tests.core.conftest import CHANNEL, DM, build_world, msg


async def test_dm_streams_the_answer_and_remembers_it(world):
    deltas, outcome = await world.send(msg("What is Parley?"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert len(deltas) > 1 and "".join(deltas) == outcome.text == "echo: What is Parley?"
    assert world.turns.contents(DM) == [("user", "What is Parley?", "ok"), ("assistant", "echo: What is Parley?", "ok")]
    (usage,) = world.stores.usage.records
    assert (usage.user, usage.channel, usage.model) == ("U1", "D1", "gpt-4o-mini")
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


async def test_next_message_carries_the_conversation_so_far(world):
    await world.send(msg("my name is Ada"))
    await world.send(msg("what is my name?"))
    sent = [(m.role, m.content) for m in world.llm.requests[-1].messages]
    assert sent[0][0] == "system"
    assert sent[1:] == [("user", "my name is Ada"), ("assistant", "echo: my name is Ada"), ("user", "what is my name?")]


async def test_channel_chatter_without_mention_is_ignored(world):
    _, outcome = await world.send(msg("just talking", key=CHANNEL))
    assert outcome.kind is OutcomeKind.IGNORED and outcome.text == ""
    assert world.llm.requests == [] and world.turns.turns == []


async def test_mention_then_follow_up_in_the_same_thread_without_mention(world):
    thread = replace(CHANNEL, thread="1700.1")
    _, first = await world.send(msg("hi", key=thread, mentions_bot=True))
    _, follow = await world.send(msg("and then?", key=thread))
    _, elsewhere = await world.send(msg("and then?", key=replace(CHANNEL, thread="1800.1")))
    assert first.kind is follow.kind is OutcomeKind.ANSWERED
    assert elsewhere.kind is OutcomeKind.IGNORED
    assert len(world.llm.requests) == 2


async def test_the_same_event_twice_is_answered_once(world):
    _, first = await world.send(msg("hi", event_id="C1:1700.1"))
    _, again = await world.send(msg("hi", event_id="C1:1700.1"))
    assert first.kind is OutcomeKind.ANSWERED
    assert again.kind is OutcomeKind.IGNORED and again.reason == "duplicate"
    assert len(world.llm.requests) == 1


async def test_an_ignored_delivery_does_not_use_up_the_event_id(world):
    # Slack delivers a mention as both `message` (no mention flag) and `app_mention`.
    thread = replace(CHANNEL, thread="1700.1")
    _, plain = await world.send(msg("<hi>", key=thread, event_id="C1:1700.1"))
    _, mention = await world.send(msg("<hi>", key=thread, event_id="C1:1700.1", mentions_bot=True))
    assert plain.kind is OutcomeKind.IGNORED and mention.kind is OutcomeKind.ANSWERED


async def test_empty_text_gets_a_hint_and_no_llm_call(world):
    _, outcome = await world.send(msg(" \n\t "))
    assert outcome.kind is OutcomeKind.INVALID and "/parley help" in outcome.text
    assert world.llm.requests == []


async def test_oversized_message_is_refused_naming_the_limit():
    world = build_world(max_message_chars=100)
    _, outcome = await world.send(msg("x" * 101))
    assert outcome.kind is OutcomeKind.INVALID and "100" in outcome.text
    assert world.llm.requests == [] and world.turns.turns == []


async def test_control_characters_are_stripped_before_the_llm(world):
    await world.send(msg("he\x00llo\x1b wor\x07ld\r\nbye"))
    assert world.llm.requests[0].messages[-1].content == "hello world\nbye"


async def test_failed_call_stores_the_question_marked_failed_and_never_half_an_answer(world):
    world.llm.script.append(LLMTimeout("read timed out"))
    with capture_logs() as logs:
        _, outcome = await world.send(msg("slow question"))
    assert outcome.kind is OutcomeKind.FAILED and "took too long" in outcome.text
    assert world.turns.contents(DM) == [("user", "slow question", "failed")]
    assert any(e["event"] == "reply.failed" and e["cause"] == "read timed out" for e in logs)
    await world.send(msg("next"))
    assert [m.content for m in world.llm.requests[-1].messages[1:]] == ["next"]


async def test_context_too_long_retries_once_with_a_smaller_window(world):
    for i in range(6):
        await world.send(msg(f"turn {i} " + "word " * 40))
    world.llm.script.append(ContextTooLong("maximum context length"))
    _, outcome = await world.send(msg("still there?"))
    assert outcome.kind is OutcomeKind.ANSWERED
    first, retry = [r for r in world.llm.requests if r.messages[-1].content == "still there?"]
    assert sum(len(m.content) for m in retry.messages) < sum(len(m.content) for m in first.messages)


async def test_context_too_long_twice_fails_politely(world):
    world.llm.script.extend([ContextTooLong("too long"), ContextTooLong("too long")])
    _, outcome = await world.send(msg("hi"))
    assert outcome.kind is OutcomeKind.FAILED and "/parley reset" in outcome.text


async def test_infrastructure_failure_becomes_a_polite_reply_and_a_log_line(world):
    async def broken(*_, **__):
        raise ConnectionError("database went away")

    world.stores.inbox.accept = broken  # type: ignore[method-assign]
    with capture_logs() as logs:
        _, outcome = await world.send(msg("hi"))
    assert outcome.kind is OutcomeKind.FAILED and outcome.text.startswith("Sorry")
    assert any(e["event"] == "reply.error" for e in logs)


async def test_persona_chain_channel_then_workspace_default_then_builtin(world):
    ws = WorkspaceScope("slack", "T1")
    pirate = Persona(name="pirate", system_prompt="Talk like a pirate.", model="pirate-model")
    poet = Persona(name="poet", system_prompt="Rhyme.", model="poet-model")
    await world.stores.personas.save(ws, pirate)
    await world.stores.personas.save(ws, poet)
    await world.send(msg("a"))
    assert world.llm.requests[-1].model == "gpt-4o-mini"
    await world.stores.channel_settings.set_workspace_default(ws, "poet")
    await world.send(msg("b"))
    assert world.llm.requests[-1].messages[0].content == "Rhyme."
    await world.stores.channel_settings.put(DM.channel_scope(), ChannelSettings(persona="pirate"))
    await world.send(msg("c"))
    assert (world.llm.requests[-1].model, world.llm.requests[-1].messages[0].content) == ("pirate-model", "Talk like a pirate.")


async def test_unknown_persona_reference_falls_back_with_a_warning(world):
    await world.stores.channel_settings.put(DM.channel_scope(), ChannelSettings(persona="ghost"))
    with capture_logs() as logs:
        _, outcome = await world.send(msg("hi"))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.persona == "default"
    assert any(e["event"] == "persona.missing" and e["log_level"] == "warning" for e in logs)


async def test_messages_in_one_conversation_are_answered_in_order_one_at_a_time(world):
    world.llm.gate = asyncio.Event()
    first = asyncio.create_task(world.send(msg("first")))
    await asyncio.wait_for(world.llm.started.wait(), 5)
    second = asyncio.create_task(world.send(msg("second")))
    other = asyncio.create_task(world.send(msg("elsewhere", key=replace(DM, channel="D2"))))
    for _ in range(50):  # let the second and the other conversation run as far as they can
        await asyncio.sleep(0)
    assert [r.messages[-1].content for r in world.llm.requests] == ["first", "elsewhere"]
    world.llm.gate.set()
    await asyncio.gather(first, second, other)
    last = [m.content for m in world.llm.requests[-1].messages[1:]]
    assert last == ["first", "echo: first", "second"]


async def test_rate_limit_hook_refuses_before_the_llm_and_stores_nothing():
    class Limited:
        async def check(self, message, *, persona):
            return LimitDecision(reason="user_per_minute", retry_after=42.0, text="Slow down: try again in 42 s.")

    world = build_world(rate_limiter=Limited())
    _, outcome = await world.send(msg("hi"))
    assert (outcome.kind, outcome.retry_after, outcome.text) == (OutcomeKind.LIMITED, 42.0, "Slow down: try again in 42 s.")
    assert world.llm.requests == [] and world.turns.turns == []


async def test_content_filter_hooks_block_input_and_output():
    class Filter:
        async def check_input(self, message, text):
            if "forbidden" in text:
                return FilterVerdict(allowed=False, text=text, reason="blocklist", user_text="Blocked.")
            return FilterVerdict(allowed=True, text=text.replace("secret", "[secret]"))

        async def check_output(self, message, text, *, final, since=0):
            return FilterVerdict(allowed="boom" not in text, text=text, reason="output_rule")

    world = build_world(content_filter=Filter())
    _, blocked_in = await world.send(msg("forbidden words"))
    assert blocked_in.kind is OutcomeKind.BLOCKED and blocked_in.text == "Blocked." and world.llm.requests == []
    await world.send(msg("my secret"))
    assert world.llm.requests[-1].messages[-1].content == "my [secret]"
    world.llm.script.append("boom goes the answer")
    _, blocked_out = await world.send(msg("go"))
    assert blocked_out.kind is OutcomeKind.BLOCKED
    assert ("assistant", "boom goes the answer", "ok") not in world.turns.contents()


async def test_memory_off_sends_the_message_alone_and_stores_nothing(world):
    await world.send(msg("remember me"))
    await world.stores.channel_settings.put(DM.channel_scope(), ChannelSettings(memory_enabled=False))
    before = len(world.turns.turns)
    _, outcome = await world.send(msg("hello again"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert [m.role for m in world.llm.requests[-1].messages] == ["system", "user"]
    assert len(world.turns.turns) == before


async def test_an_llm_error_mid_summary_still_answers(world):
    tiny = Persona(name="tiny", system_prompt="Be brief.", model="m", memory_budget=60)
    await world.stores.personas.save(WorkspaceScope("slack", "T1"), tiny)
    await world.stores.channel_settings.put(DM.channel_scope(), ChannelSettings(persona="tiny"))
    for i in range(4):
        await world.send(msg(f"message {i} " + "word " * 20))
    world.llm.script.append(LLMError("summary failed"))
    _, outcome = await world.send(msg("and now?"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert any("left out" in n for n in outcome.notices)


async def test_a_flood_of_limited_messages_is_refused_at_once_not_queued_behind_a_slow_answer():
    from core.assembly import LimitOptions

    world = build_world(limits=LimitOptions(user="1/minute"))
    world.llm.gate = asyncio.Event()
    slow = asyncio.create_task(world.send(msg("a long question")))
    await world.llm.started.wait()  # the first answer holds the conversation, waiting on the model
    flood = await asyncio.wait_for(asyncio.gather(*(world.send(msg(f"again {i}")) for i in range(20))), 5)
    assert {outcome.reason for _, outcome in flood} == {"rate_limit.user"}
    assert not slow.done()
    world.llm.gate.set()
    assert (await slow)[1].kind is OutcomeKind.ANSWERED


async def test_a_message_stuck_behind_an_answer_goes_ahead_after_the_wait_limit():
    from core.chat.locks import ConversationLocks

    locks = ConversationLocks(wait=0.05)
    release = asyncio.Event()
    entered = asyncio.Event()

    async def stuck() -> None:
        async with locks.hold("conversation"):
            entered.set()
            await release.wait()

    holder = asyncio.create_task(stuck())
    await entered.wait()
    async with asyncio.timeout(5):
        async with locks.hold("conversation"):
            assert not holder.done()  # went ahead while the stuck answer still holds the turn
    release.set()
    await holder
    assert len(locks) == 0
