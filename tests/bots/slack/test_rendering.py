"""How answers look in Slack: the streaming fallback, long answers, footers."""

from __future__ import annotations

import asyncio
import re

from bots.slack.render import MESSAGE_LIMIT
from tests.bots.slack import payloads
from tests.bots.slack.payloads import BOT_USER, CHANNEL
from tests.standins.openai_server import Reply


async def test_without_the_streaming_api_it_posts_once_then_edits_at_most_once_per_interval(parley, slack, llm, clock):
    slack.fail("chat.startStream", "not_allowed_token_type")
    gate = asyncio.Event()
    llm.script(Reply("one two three four five six", gate=gate, gate_after=2))
    mention = payloads.app_mention(f"<@{BOT_USER}> count for me")

    await parley.deliver(mention)
    post = await slack.wait_for_call("chat.postMessage")
    clock.advance()
    gate.set()
    await parley.handled(1)

    assert len(slack.calls_to("chat.startStream")) == 1  # tried once, then fell back
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert post.params["thread_ts"] == mention["ts"] and post.params["markdown_text"].startswith("one")
    updates = slack.calls_to("chat.update")
    assert len(updates) == 2  # one per clock interval, then the final text
    assert all(u.params["ts"] == post.response["ts"] for u in updates)
    assert slack.text_of(CHANNEL, post.response["ts"]) == "one two three four five six"


def long_answer() -> str:
    parts = []
    for n in range(1, 6):
        parts.append(f"## Part {n}\n\n" + " ".join(f"word{n}-{i}" for i in range(170)))
        code = "\n".join(f"    total_{n} += compute({i}, {n})  # step {i}" for i in range(60))
        parts.append(f"```python\ndef part_{n}():\n{code}\n    return total_{n}\n```")
    text = "\n\n".join(parts)
    assert 19_000 < len(text) < 26_000
    return text


def fences_balanced(piece: str) -> bool:
    return len(re.findall(r"^```", piece, flags=re.MULTILINE)) % 2 == 0


async def test_a_long_answer_becomes_several_thread_replies_with_code_blocks_intact(parley, slack, llm):
    answer = long_answer()
    llm.script(Reply(answer))
    mention = payloads.app_mention(f"<@{BOT_USER}> write a lot")

    await parley.deliver(mention)
    await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)

    replies = slack.replies_in(CHANNEL, mention["ts"])
    assert len(replies) >= 2
    assert replies[0].pieces and not replies[0].streaming  # the first one was streamed
    texts = [r.text for r in replies]
    assert all(len(t) <= MESSAGE_LIMIT for t in texts)
    assert all(fences_balanced(t) for t in texts)
    assert all(len(c.params.get("markdown_text", "")) <= MESSAGE_LIMIT for c in slack.calls)

    def content(text: str) -> list[str]:
        return [line for line in text.split("\n") if line.strip() and not line.startswith("```")]

    assert [line for t in texts for line in content(t)] == content(answer)
    assert any(t.startswith("```python") for t in texts[1:])  # a block cut in two is reopened with its language


async def test_a_rate_limited_call_is_retried_after_retry_after(parley, slack, llm):
    slack.fail("chat.startStream", "ratelimited", times=1, status=429)
    mention = payloads.app_mention(f"<@{BOT_USER}> busy day?")

    await parley.deliver(mention)
    stop = await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)

    assert [c.response["ok"] for c in slack.calls_to("chat.startStream")] == [False, True]
    assert not slack.calls_to("chat.postMessage")  # no fallback needed
    assert slack.text_of(CHANNEL, stop.params["ts"]) == "echo: busy day?"


async def stream_with_a_pause(parley, slack, llm, clock, text: str) -> dict:
    """A mention whose answer streams a first piece, then (one interval later) the rest."""
    gate = asyncio.Event()
    llm.script(Reply(text, gate=gate, gate_after=2))
    mention = payloads.app_mention(f"<@{BOT_USER}> go on")
    await parley.deliver(mention)
    await slack.wait_for_call("chat.startStream")
    clock.advance()
    gate.set()
    await parley.handled(1)
    return mention


async def test_when_an_append_fails_the_stream_is_ended_and_the_whole_answer_still_shows(parley, slack, llm, clock):
    slack.fail("chat.appendStream", "fatal_error", times=1)

    mention = await stream_with_a_pause(parley, slack, llm, clock, "alpha beta gamma delta epsilon")

    replies = slack.replies_in(CHANNEL, mention["ts"])
    assert [(r.text, r.streaming) for r in replies] == [("alpha beta gamma delta epsilon", False)]
    assert [c.response["ok"] for c in slack.calls_to("chat.update")] == [True] * len(slack.calls_to("chat.update"))


async def test_when_the_stream_cannot_be_stopped_the_answer_comes_in_a_new_reply(parley, slack, llm, clock):
    slack.fail("chat.stopStream", "fatal_error")

    mention = await stream_with_a_pause(parley, slack, llm, clock, "alpha beta gamma delta epsilon")

    texts = [r.text for r in slack.replies_in(CHANNEL, mention["ts"])]
    assert texts[-1] == "alpha beta gamma delta epsilon"
    assert not [c for c in slack.calls_to("chat.update") if not c.response["ok"]]  # never edits a streaming message


async def test_a_failure_notice_reaches_the_thread_even_when_the_stream_cannot_be_stopped(parley, slack, llm):
    from tests.standins.openai_server import BreakMidStream

    slack.fail("chat.stopStream", "fatal_error")
    llm.script(BreakMidStream("this answer will be cut off before it ends", deltas_before_break=3))
    mention = payloads.app_mention(f"<@{BOT_USER}> tell me a long story")
    await parley.deliver(mention)
    await parley.handled(1)

    texts = [r.text for r in slack.replies_in(CHANNEL, mention["ts"])]
    assert len(texts) == 2 and "Sorry" in texts[-1]
    assert not [c for c in slack.calls_to("chat.update") if not c.response["ok"]]


async def test_when_streaming_is_rate_limited_answers_are_posted_and_streaming_rests_for_retry_after(
    parley, slack, llm, clock, slack_clock
):
    slack.rate_limits.limit("chat.startStream", calls=1, per=60)  # tier 2, scaled down

    async def ask(n: int, question: str) -> str:
        mention = payloads.app_mention(f"<@{BOT_USER}> {question}")
        await parley.deliver(mention)
        await parley.handled(n)
        (reply,) = slack.replies_in(CHANNEL, mention["ts"])
        return reply.text

    assert await ask(1, "one") == "echo: one"  # streamed
    assert await ask(2, "two") == "echo: two"  # 429, Retry-After 60: posted instead, at once
    assert await ask(3, "three") == "echo: three"  # streaming rests: not even tried
    clock.advance(61)
    slack_clock.advance(61)
    assert await ask(4, "four") == "echo: four"  # streamed again

    assert [c.status for c in slack.calls_to("chat.startStream")] == [200, 429, 200]
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_rate_limited_edits_are_skipped_and_the_final_text_still_arrives(parley, slack, llm, clock):
    slack.fail("chat.startStream", "not_allowed_token_type")
    slack.rate_limits.limit("chat.update", calls=0, per=60)

    mention = await stream_with_a_pause(parley, slack, llm, clock, "alpha beta gamma delta epsilon")

    texts = [r.text for r in slack.replies_in(CHANNEL, mention["ts"])]
    assert texts[-1] == "alpha beta gamma delta epsilon"
    assert len(slack.calls_to("chat.update")) == 1  # refused once; not called again inside its Retry-After
