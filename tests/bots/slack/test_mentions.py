"""Nothing Parley posts notifies people, and mrkdwn shows what was meant (Slack's control characters escaped)."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from bots.slack.outgoing import WORD_JOINER, defuse, mrkdwn, up_to_whitespace
from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, GRACE
from tests.standins.openai_server import Reply
from tests.standins.slack_server.markup import pings, shown

PINGING = (
    "Heads up <!channel> and <!here|here>, <!everyone>, <!subteam^S0TEAM|@devs>, <@U0GRACE>, "
    "&lt;!here&gt;, and in words: @channel @Here @everyone."
)


def test_defused_text_reads_the_same_and_pings_nobody():
    assert pings(PINGING, markdown=True)  # the stand-in sees what Slack would
    assert pings(defuse(PINGING), markdown=True) == []
    assert defuse(PINGING).replace(WORD_JOINER, "") == PINGING
    assert defuse("mail ada@here.example, <!DOCTYPE html>, a<b") == "mail ada@here.example, <!DOCTYPE html>, a<b"


def test_mrkdwn_escapes_slacks_control_characters_and_keeps_bold():
    text = "**Usage:** `/parley retention <days|off>` & <!here>"
    assert mrkdwn(text) == "*Usage:* `/parley retention &lt;days|off&gt;` &amp; &lt;!here&gt;"
    assert shown(mrkdwn(text)) == "*Usage:* `/parley retention <days|off>` & <!here>"
    assert pings(mrkdwn(text)) == []


@given(st.text(alphabet="<>!@&;ehrlt|^ ahnceyovS0U\n", max_size=40), st.integers(min_value=0, max_value=40))
def test_a_streamed_prefix_is_defused_the_same_as_the_whole_text(text, cut):
    shown_so_far = defuse(up_to_whitespace(text[:cut]))
    assert defuse(text).startswith(shown_so_far)


async def test_an_answer_that_would_ping_is_posted_inert_even_when_a_mention_arrives_in_two_pieces(
    parley, slack, llm, clock
):
    gate = asyncio.Event()
    deltas = ["Heads up <", "!channel> and @ev", "eryone: " + PINGING]
    llm.script(Reply("".join(deltas), deltas=deltas, gate=gate, gate_after=1))
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> announce lunch"))
    await slack.wait_for_call("chat.startStream")
    clock.advance()
    gate.set()
    stop = await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)

    assert slack.pings == []
    assert slack.text_of(CHANNEL, stop.params["ts"]).replace(WORD_JOINER, "") == "".join(deltas)
    assert len(slack.calls_to("chat.appendStream")) == 1  # the mention cut in two was streamed, not held back


async def test_help_shows_the_placeholders_as_written(parley, slack):
    await parley.command("/parley", "help", user=GRACE)
    reply = await slack.wait_for_call("response_url")
    assert "`/parley retention <days|off>`" in slack.shown(reply.params["text"])
    assert "`/persona use <name>`" in slack.shown(reply.params["text"])


async def test_a_persona_prompt_is_shown_as_written_and_pings_nobody(parley, slack):
    await parley.command("/persona", "create herald Announce with @channel and <!here> & <b>bold</b>.", user=GRACE)
    await slack.wait_for_call("response_url")
    await parley.command("/persona", "show herald", user=ADA)
    reply = await slack.wait_for_call("response_url", count=2)
    seen = slack.shown(reply.params["text"]).replace(WORD_JOINER, "")
    assert "Announce with @channel and <!here> & <b>bold</b>." in seen
