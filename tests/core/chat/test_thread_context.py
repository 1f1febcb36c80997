"""Thread context: a thread's earlier messages go to the model, bounded, filtered, stored only as memory is."""

from __future__ import annotations

from dataclasses import replace

from structlog.testing import capture_logs

from core.assembly import CoreOptions, assemble_core
from core.chat.history import EarlierMessage
from core.chat.memory import DROPPED_NOTICE
from core.chat.thread_context import LEFT_OUT_NOTICE, ThreadContextLimits
from core.filters.policy import FilterDefaults
from core.filters.values import BlockRule
from core.messages import OutcomeKind
from core.records import ChannelSettings
from core.tokens import EstimatingTokenCounter
from tests.core.conftest import CHANNEL, actor, build_world, msg
from tests.core.fakes import ScriptedHistory

THREAD = replace(CHANNEL, thread="100")


def said(ident: int, text: str, *, name: str = "Ada", user: str = "U1", **flags) -> EarlierMessage:
    return EarlierMessage(id=str(ident), author=user, author_name=name, text=text, **flags)


def world_with(history: ScriptedHistory, **options):
    world = build_world(**options)
    world.core.thread_context.attach(history)
    return world


def sent(world, index: int = -1) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in world.llm.requests[index].messages if m.role != "system"]


async def test_a_mention_in_a_thread_gives_the_model_what_people_said_there_with_their_names():
    history = ScriptedHistory()
    history.write(
        THREAD, said(100, "shall we ship on Friday?"), said(101, "only if the tests pass", name="Grace", user="U2"),
        said(102, "deploy finished", name="CI", user="B1", is_bot=True),
        said(103, "Friday works", name="Parley", user="UBOT", is_parley=True),
    )
    world = world_with(history)

    _, outcome = await world.send(msg("what did we decide?", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))

    assert outcome.kind is OutcomeKind.ANSWERED
    assert sent(world) == [
        ("user", "[Ada] shall we ship on Friday?"), ("user", "[Grace] only if the tests pass"),
        ("user", "[CI (a bot)] deploy finished"), ("assistant", "Friday works"), ("user", "what did we decide?"),
    ]
    # memory is on: they are turns of the conversation, their authors on them (forget-me, export, retention)
    assert [(t.author, t.role) for t in world.turns.turns][:2] == [("U1", "user"), ("U2", "user")]


async def test_the_second_message_reads_only_what_is_new_and_not_its_own_answers():
    history = ScriptedHistory()
    history.write(THREAD, said(100, "first"))
    world = world_with(history)
    await world.send(msg("one?", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))
    history.write(THREAD, said(111, "echo: one?", name="Parley", is_parley=True), said(112, "news", name="Grace", user="U2"))

    await world.send(msg("two?", key=THREAD, event_id="120", is_dm=False))

    assert [after for _, after, _ in history.reads] == [None, "110"]
    assert sent(world) == [("user", "[Ada] first"), ("user", "one?"), ("assistant", "echo: one?"),
                           ("user", "[Grace] news"), ("user", "two?")]


async def test_a_conversation_answered_before_without_a_mark_here_is_not_read_again():
    history = ScriptedHistory()
    history.write(THREAD, said(100, "first"))
    first = world_with(history)
    await first.send(msg("one?", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))
    # another process (or after a restart): same stores, no mark
    other = assemble_core(stores=first.stores, llm=first.llm, tokens=EstimatingTokenCounter(), clock=first.clock,
                          options=CoreOptions(default_model="gpt-4o-mini"))
    other.thread_context.attach(history)
    async for _ in other.chat.handle(msg("two?", key=THREAD, event_id="120", is_dm=False)):
        pass
    assert len(history.reads) == 1
    assert sent(first) == [("user", "[Ada] first"), ("user", "one?"), ("assistant", "echo: one?"), ("user", "two?")]


async def test_at_most_n_messages_and_m_characters_newest_first_and_the_footer_says_so():
    history = ScriptedHistory()
    history.write(THREAD, *(said(100 + i, f"message {i} " + "x" * 20) for i in range(10)))
    world = world_with(history, thread_context=ThreadContextLimits(max_messages=5, max_chars=80))

    _, outcome = await world.send(msg("sum up", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))

    contents = [text for _, text in sent(world)][:-1]
    # 30 characters each: 9 and 8 fit 80, 7 is cut to the 20 left (from its start), older ones left out
    assert contents == ["[Ada] …" + "x" * 19, "[Ada] message 8 " + "x" * 20, "[Ada] message 9 " + "x" * 20]
    assert history.reads == [(THREAD, None, 5)]
    assert LEFT_OUT_NOTICE in outcome.notices


async def test_earlier_messages_pass_the_input_filters():
    history = ScriptedHistory()
    history.write(THREAD, said(100, "write to ada@example.com"), said(101, "project falcon is secret", name="Grace"))
    world = world_with(history, filters=FilterDefaults(rules=(BlockRule("project falcon", source="settings"),)))

    _, outcome = await world.send(msg("ok?", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))

    assert outcome.kind is OutcomeKind.ANSWERED  # a blocked earlier message is left out, the question answered
    assert sent(world) == [("user", "[Ada] write to [email]"), ("user", "ok?")]
    assert "ada@example.com" not in str(world.turns.turns)


async def test_with_memory_off_they_go_with_the_request_only_within_the_budget():
    history = ScriptedHistory()
    history.write(THREAD, *(said(100 + i, f"message {i} " + "word " * 400) for i in range(10)))
    world = world_with(history, thread_context=ThreadContextLimits(max_chars=100_000))
    await world.stores.channel_settings.put(THREAD.channel_scope(), ChannelSettings(memory_enabled=False))

    _, outcome = await world.send(msg("sum up", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))

    assert world.turns.turns == []  # nothing stored
    contents = [text for _, text in sent(world)]
    assert contents[-1] == "sum up" and contents[-2].startswith("[Ada] message 9")
    assert len(contents) - 1 < 10 and DROPPED_NOTICE in outcome.notices  # 3,000 tokens hold only the newest


async def test_a_refused_read_is_a_log_line_and_an_answer_without_context():
    history = ScriptedHistory(unavailable="missing_scope:channels:history")
    world = world_with(history)
    with capture_logs() as logs:
        _, outcome = await world.send(msg("hi", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))
    assert outcome.kind is OutcomeKind.ANSWERED and sent(world) == [("user", "hi")]
    refused = [e for e in logs if e["event"] == "thread_context.unavailable"]
    assert refused and refused[0]["reason"] == "missing_scope:channels:history"


async def test_a_top_level_mention_and_a_dm_read_nothing():
    history = ScriptedHistory()
    world = world_with(history)
    await world.send(msg("hi", event_id="1"))  # a DM
    await world.send(msg("hi", key=CHANNEL, event_id="2", mentions_bot=True, is_dm=False))  # no thread at all
    assert history.reads == []


async def test_zero_messages_turns_reading_off():
    history = ScriptedHistory()
    history.write(THREAD, said(100, "first"))
    world = world_with(history, thread_context=ThreadContextLimits(max_messages=0))
    await world.send(msg("hi", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))
    assert history.reads == [] and sent(world) == [("user", "hi")]


async def test_forget_me_removes_what_a_person_said_in_a_thread_that_was_read():
    history = ScriptedHistory()
    history.write(THREAD, said(100, "my plan is secret", name="Grace", user="U2"), said(101, "ok", name="Ada", user="U1"))
    world = world_with(history)
    await world.send(msg("what now?", key=THREAD, event_id="110", mentions_bot=True, is_dm=False))

    await world.core.commands.run(actor("U2"), "parley", "forget-me")

    assert "my plan is secret" not in str(world.turns.contents(THREAD))
    assert ("user", "[Ada] ok", "ok") in world.turns.contents(THREAD)


async def test_a_top_level_mention_reads_the_channel_only_when_the_persona_asks():
    history = ScriptedHistory(channel=[said(90, "lunch at noon?"), said(91, "the build is red", name="Grace", user="U2")])
    world = world_with(history)
    top = replace(CHANNEL, thread="100")  # a mention at the top of a channel starts the thread under it
    await world.send(msg("hi", key=top, event_id="100", mentions_bot=True, is_dm=False))
    assert sent(world) == [("user", "hi")] and history.channel_reads == [0]

    admin = actor("U_OWNER", is_admin=True)
    await world.core.commands.run(admin, "persona", "create watcher channel_context=1 You watch the channel.")
    await world.core.commands.run(admin, "persona", "use watcher")
    other = replace(CHANNEL, thread="120")
    await world.send(msg("why?", key=other, event_id="120", mentions_bot=True, is_dm=False))

    assert history.channel_reads == [0, 1]
    assert sent(world) == [("user", "[Grace] the build is red"), ("user", "why?")]


async def test_a_thread_a_top_level_mention_started_is_not_read_again():
    history = ScriptedHistory()
    world = world_with(history)
    top = replace(CHANNEL, thread="100")
    await world.send(msg("hi", key=top, event_id="100", mentions_bot=True, is_dm=False))
    await world.send(msg("and then?", key=top, event_id="105", is_dm=False))
    assert history.channel_reads == [0] and history.reads == []  # the follow-up costs no platform call


async def test_a_mention_at_the_top_of_a_channel_costs_no_memory_lookup():
    history = ScriptedHistory()
    world = world_with(history)
    asked = []
    has_assistant_turns = world.turns.has_assistant_turns

    async def counted(key):
        asked.append(key)
        return await has_assistant_turns(key)

    world.turns.has_assistant_turns = counted
    top = replace(CHANNEL, thread="100")  # its answer's thread starts with it
    await world.send(msg("hi", key=top, event_id="100", mentions_bot=True, is_dm=False, top_level=True))
    assert asked == [] and sent(world) == [("user", "hi")]
    other = replace(CHANNEL, thread="200")
    await world.send(msg("more", key=other, event_id="210", mentions_bot=True, is_dm=False))  # in a thread: asked
    assert asked == [other]
