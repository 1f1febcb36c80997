"""Slack's AI-app surface: suggested prompts, the thinking status, answers in the assistant thread."""

from __future__ import annotations

from tests.bots.slack import payloads
from tests.bots.slack.payloads import BOT_USER, DM


async def test_a_new_assistant_thread_gets_suggested_prompts(parley, slack):
    started = payloads.assistant_thread_started()
    await parley.deliver(started)
    call = await slack.wait_for_call("assistant.threads.setSuggestedPrompts")

    assert call.params["channel_id"] == DM
    assert call.params["thread_ts"] == started["assistant_thread"]["thread_ts"]
    assert len(call.params["prompts"]) >= 2 and all({"title", "message"} <= set(p) for p in call.params["prompts"])


async def test_a_message_in_an_assistant_thread_shows_thinking_then_streams_the_answer(parley, slack, llm):
    thread = payloads.next_ts()
    await parley.deliver(payloads.dm_message("hello from the side panel", thread_ts=thread, parent_user_id=BOT_USER))
    stop = await slack.wait_for_call("chat.stopStream")
    await parley.handled(1)

    status = slack.calls_to("assistant.threads.setStatus")
    assert [(s.params["channel_id"], s.params["thread_ts"], s.params["status"]) for s in status] == [
        (DM, thread, "is thinking…")
    ]
    title = slack.calls_to("assistant.threads.setTitle")
    assert [t.params["title"] for t in title] == ["hello from the side panel"]
    assert slack.text_of(DM, stop.params["ts"]) == "echo: hello from the side panel"
    assert slack.messages[(DM, stop.params["ts"])].thread_ts == thread
    names = [c.method for c in slack.calls]
    assert names.index("assistant.threads.setStatus") < names.index("chat.startStream")

    # The DM is one conversation: a top-level DM afterwards remembers the side-panel exchange.
    await parley.deliver(payloads.dm_message("and now?"))
    await parley.handled(2)
    history = [m["content"] for m in llm.chat_requests[1].json["messages"][1:]]
    assert history == ["hello from the side panel", "echo: hello from the side panel", "and now?"]
