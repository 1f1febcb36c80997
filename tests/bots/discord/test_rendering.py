"""How answers look on Discord: streaming pace, 2,000-character pieces, refusals, failures."""

from __future__ import annotations

import asyncio
import re

from core.edit_pacer import EditPacer
from bots.discord.render import footer
from bots.discord.texts import RENDER_FAILED
from tests.bots.discord.conftest import EDIT_INTERVAL
from tests.bots.discord.test_conversations import EDIT, MESSAGES, answer_in, mention
from tests.standins.discord_server import ALICE, GENERAL
from tests.standins.openai_server import BreakMidStream, Reply, Status

FENCE = re.compile(r"^```", re.MULTILINE)


def long_answer_with_code() -> tuple[str, list[str]]:
    intro = "Here is the script you asked for. " * 30
    code = [f"    total_{i:03d} = compute(value_{i:03d}) + {i}  # step {i}" for i in range(90)]
    outro = "That is all. " * 40
    return f"{intro}\n\n```python\ndef main():\n" + "\n".join(code) + f"\n```\n\n{outro}", code


async def test_a_long_answer_continues_in_messages_with_code_fences_closed_and_reopened(parley):
    server, llm = parley.discord, parley.llm
    text, code_lines = long_answer_with_code()
    assert len(text) > 5_000
    llm.script(Reply(text))
    asked = await server.send_message(ALICE, GENERAL, mention("write me a long script"))
    thread_id = int(asked["id"])
    await parley.wait_logged("discord.replied", message_id=thread_id)

    pieces = [m["content"] for m in server.bot_messages(thread_id)]
    assert len(pieces) >= 3 and all(len(p) <= 2_000 for p in pieces)
    assert all(len(FENCE.findall(p)) % 2 == 0 for p in pieces)  # every piece's code blocks are closed
    inside = [p for p in pieces if "total_" in p]
    assert len(inside) >= 2 and all(p.startswith("```python\n") for p in inside[1:])  # reopened with the language
    shown = "\n".join(pieces)
    positions = [shown.index(line) for line in code_lines]
    assert positions == sorted(positions)  # every line, in order
    assert not any(c.status >= 400 for c in server.calls)


async def test_edits_come_at_most_once_per_interval_and_the_latest_text_is_shown(parley):
    server, llm = parley.discord, parley.llm
    gate = asyncio.Event()
    words = [f"word{i:03d} " for i in range(150)]
    llm.script(Reply("".join(words), gate=gate, gate_after=100))
    asked = await server.send_message(ALICE, GENERAL, mention("stream slowly"))
    thread_id = int(asked["id"])

    # The stream pauses after 100 words: they are shown within one interval, without more tokens.
    await server.wait_for(lambda: any("word099" in m["content"] for m in server.bot_messages(thread_id)))
    gate.set()
    await parley.wait_logged("discord.replied", message_id=thread_id)

    writes = [c for c in server.calls if c.route in (MESSAGES, EDIT) and c.params["channel_id"] == str(thread_id)
              and c.method in ("POST", "PATCH")]
    assert [c.method for c in writes][:1] == ["POST"] and len(writes) <= 4  # 150 tokens, a handful of writes
    gaps = [later.at - earlier.at for earlier, later in zip(writes, writes[1:])]
    assert gaps and min(gaps) >= EDIT_INTERVAL, gaps
    assert writes[-1].json["content"] == "".join(words).strip()


async def test_a_refusal_is_short_and_stands_alone(parley):
    server, llm = parley.discord, parley.llm
    llm.script(Status(500))
    asked = await server.send_message(ALICE, GENERAL, mention("this will fail"))
    thread_id = int(asked["id"])
    replied = await parley.wait_logged("discord.replied", message_id=thread_id)
    assert replied["outcome"] == "failed"
    (message,) = server.bot_messages(thread_id)
    assert len(message["content"]) < 200 and message["content"].startswith("Sorry")


async def test_a_refusal_after_streaming_replaces_the_streamed_text(parley):
    server, llm = parley.discord, parley.llm
    llm.script(BreakMidStream(text="this answer breaks off in the middle of it", deltas_before_break=3))
    asked = await server.send_message(ALICE, GENERAL, mention("break please"))
    thread_id = int(asked["id"])
    await parley.wait_logged("discord.replied", message_id=thread_id, outcome="failed")

    (message,) = server.bot_messages(thread_id)
    first = next(c for c in server.calls_to("POST", MESSAGES) if c.params["channel_id"] == str(thread_id))
    assert first.json["content"].startswith("this")  # it did stream
    assert message["content"].startswith("Sorry") and "breaks off" not in message["content"]


async def test_a_discord_failure_mid_answer_is_logged_and_said(parley):
    server = parley.discord
    server.fail_next("PATCH", EDIT, status=404, code=10008, message="Unknown Message")  # deleted by a moderator
    asked = await server.send_message(ALICE, GENERAL, mention("answer, then lose it"))
    thread_id = int(asked["id"])

    failed = await parley.wait_logged("discord.render_failed", message_id=thread_id)
    assert failed["log_level"] == "error"
    # bound with where the mention was posted, the answer's thread, and the message
    assert (failed["guild"], failed["channel"], failed["thread"]) == (int(asked["guild_id"]), GENERAL, asked["id"])
    await answer_in(server, thread_id, RENDER_FAILED)


def test_notices_are_a_small_italic_footer():
    assert footer(["older messages were summarised", "  "]) == "-# *older messages were summarised*"
    assert footer([]) == ""


def test_the_pacer_counts_from_the_last_change():
    pacer = EditPacer(1.0)
    assert pacer.delay(now=10.0) == 0.0
    pacer.mark(now=10.0)
    assert pacer.delay(now=10.25) == 0.75 and pacer.delay(now=11.5) == 0.0
