"""'@Parley summarize' in a thread: a command, read as thread context reads, summarised in parts when long."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.chat.history import EarlierMessage
from core.messages import OutcomeKind
from core.summaries.summarizer import COMBINE_PARTS, SUMMARISE_PART
from core.access.texts import NOT_ALLOWED_HERE_TEXT
from core.summaries.texts import NOT_IN_A_DM, NOT_VISIBLE_TEXT, NOTHING_TO_SUMMARISE, SUMMARY_UNAVAILABLE
from core.summaries.thread import SummaryLimits
from tests.core.conftest import CHANNEL, actor, build_world, msg
from tests.core.fakes import ScriptedHistory

THREAD = replace(CHANNEL, thread="100")


def world_with(history: ScriptedHistory, **options):
    world = build_world(**options)
    world.core.thread_context.attach(history)
    return world


def forty_long_messages() -> list[EarlierMessage]:
    return [
        EarlierMessage(id=str(100 + i), author=f"U{i % 3}", author_name=("Ada", "Grace", "Linus")[i % 3],
                       text=f"point {i}: " + "detail " * 70)  # about 500 characters each
        for i in range(40)
    ]


async def test_a_forty_message_thread_is_summarised_in_parts_each_message_cut_to_300_characters():
    history = ScriptedHistory()
    history.write(THREAD, *forty_long_messages())
    world = world_with(history, summaries=SummaryLimits(message_chars=300))
    world.llm.script = ["- first half", "- second half", "- Ada, Grace and Linus agreed on 40 points"]

    deltas, outcome = await world.send(msg("summarize", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))

    assert outcome.kind is OutcomeKind.ANSWERED
    assert outcome.text == "- Ada, Grace and Linus agreed on 40 points"
    first, second, combined = world.llm.requests  # two parts (12,000 characters each at most), then combined
    lines = first.messages[-1].content.splitlines() + second.messages[-1].content.splitlines()
    assert len(lines) == 40 and lines[0].startswith("[Ada] point 0: detail")
    assert all(len(line) <= len("[Linus] ") + 300 for line in lines) and lines[0].endswith("…")
    assert SUMMARISE_PART in first.messages[0].content and COMBINE_PARTS in combined.messages[0].content
    assert "- first half" in combined.messages[-1].content and "- second half" in combined.messages[-1].content
    assert "summarize" not in [m.content for r in world.llm.requests for m in r.messages]  # not asked as a question
    assert len(world.stores.usage.records) == 3  # every call is accounted
    assert world.turns.contents(THREAD)[-2:] == [
        ("user", "summarize", "ok"), ("assistant", "- Ada, Grace and Linus agreed on 40 points", "ok")
    ]


async def test_a_short_thread_is_one_call_and_earlier_messages_are_redacted():
    history = ScriptedHistory()
    history.write(THREAD, EarlierMessage(id="100", author="U1", author_name="Ada", text="mail ada@example.com"))
    world = world_with(history)

    _, outcome = await world.send(msg("Summarise this thread.", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))

    (call,) = world.llm.requests
    assert call.messages[-1].content == "[Ada] mail [email]" and outcome.kind is OutcomeKind.ANSWERED


async def test_summarize_where_nothing_was_said_is_a_hint_without_the_model():
    world = world_with(ScriptedHistory())
    _, outcome = await world.send(msg("summarize", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))
    assert outcome.kind is OutcomeKind.INVALID and outcome.text == NOTHING_TO_SUMMARISE
    assert world.llm.requests == []


async def test_a_thread_parley_may_not_read_is_refused_clearly():
    world = world_with(ScriptedHistory(unavailable="missing_permission:read_message_history"))
    _, outcome = await world.send(msg("summarize", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))
    assert outcome.kind is OutcomeKind.FAILED and outcome.text == SUMMARY_UNAVAILABLE and world.llm.requests == []


async def test_a_question_that_mentions_summarising_is_a_question():
    history = ScriptedHistory()
    history.write(THREAD, EarlierMessage(id="100", author="U1", author_name="Ada", text="the plan"))
    world = world_with(history)
    _, outcome = await world.send(msg("summarize the plan in French", key=THREAD, event_id="200", mentions_bot=True,
                                      is_dm=False))
    assert outcome.text == "echo: summarize the plan in French"


# --- /parley summarize [hours] ---------------------------------------------------------------------

async def test_a_channel_summary_of_the_last_hours_goes_to_the_asker_only_and_is_accounted():
    history = ScriptedHistory(channel=[
        EarlierMessage(id="1", author="U2", author_name="Grace", text="the build is red"),
        EarlierMessage(id="2", author="U1", author_name="Ada", text="call me on 555-867-5309"),
    ])
    world = world_with(history)
    world.llm.script = ["- the build is red"]

    reply = await world.core.commands.run(actor("U1"), "parley", "summarize 8")

    assert reply.ok and reply.text.splitlines()[1] == "- the build is red" and "last 8 hours" in reply.text
    ((scope, thread, asker, since),) = history.recent_reads
    assert (scope.channel, thread, asker) == ("C1", "", "U1") and since == world.clock.now() - timedelta(hours=8)
    (call,) = world.llm.requests
    assert call.messages[-1].content.splitlines() == ["[Grace] the build is red", "[Ada] call me on [phone]"]
    assert len(world.stores.usage.records) == 1 and world.turns.turns == []  # accounted, nothing stored


async def test_a_channel_summary_for_a_non_member_of_a_private_channel_is_refused():
    history = ScriptedHistory(channel=[EarlierMessage(id="1", author="U2", author_name="Grace", text="secret plan")])
    history.members["C1"] = {"U2"}
    world = world_with(history)

    reply = await world.core.commands.run(actor("U1"), "parley", "summarize")

    assert not reply.ok and reply.text == NOT_VISIBLE_TEXT and world.llm.requests == []


async def test_bad_hours_are_refused_naming_the_bounds_and_a_dm_has_nothing_to_summarise():
    world = world_with(ScriptedHistory())
    for bad in ("0", "200", "yesterday"):
        reply = await world.core.commands.run(actor("U1"), "parley", f"summarize {bad}")
        assert not reply.ok and "1 to 168" in reply.text
    reply = await world.core.commands.run(actor("U1", channel="D1", is_dm=True), "parley", "summarize")
    assert not reply.ok and reply.text == NOT_IN_A_DM


async def test_a_model_failure_after_some_parts_is_a_polite_refusal_and_what_was_used_is_charged():
    from core.llm_types import LLMError
    from core.summaries.texts import SUMMARY_FAILED

    history = ScriptedHistory()
    history.write(THREAD, *forty_long_messages())
    world = world_with(history, summaries=SummaryLimits(message_chars=300))
    world.llm.script = ["- first half", LLMError("upstream 500")]

    _, outcome = await world.send(msg("summarize", key=THREAD, event_id="200", mentions_bot=True, is_dm=False))

    assert outcome.kind is OutcomeKind.FAILED and outcome.text == SUMMARY_FAILED
    assert len(world.stores.usage.records) == 1 and world.stores.usage.records[0].completion_tokens > 0


async def test_a_person_the_access_rules_deny_gets_no_summary_and_no_model_call():
    history = ScriptedHistory(channel=[EarlierMessage(id="1", author="U2", author_name="Grace", text="the plan")])
    world = world_with(history)
    assert (await world.core.commands.run(actor("U_OWNER"), "parley", "access deny user U1")).ok

    reply = await world.core.commands.run(actor("U1"), "parley", "summarize")

    assert not reply.ok and reply.text == NOT_ALLOWED_HERE_TEXT
    assert world.llm.requests == [] and history.recent_reads == []  # nothing read, nothing asked
