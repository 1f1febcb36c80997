"""Socket Mode: bolt's AsyncSocketModeHandler against the stand-in's websocket."""

from __future__ import annotations

import pytest

from bots.slack.app import build_bot
from bots.slack.server import connect_socket_mode
from core.bootstrap import start_core
from tests.bots.slack import payloads
from tests.bots.slack.conftest import APP_TOKEN, parley_settings
from tests.bots.slack.inbox_rows import event_id_of, inbox_row
from tests.bots.slack.payloads import BOT_USER, CHANNEL, GRACE


@pytest.fixture
async def socket_bot(tmp_path, slack, llm, clock):
    settings = parley_settings(tmp_path, slack, llm, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    running = await start_core(settings)
    bot = build_bot(running.core, settings, clock=clock)
    handler = await connect_socket_mode(bot.app, app_token=settings.slack_app_token)
    yield bot, running
    await bot.in_flight.drain(timeout=5)
    await handler.close_async()
    await bot.aclose()
    await running.aclose()


async def test_events_and_commands_arrive_over_the_websocket_and_are_acked(socket_bot, slack, llm):
    await slack.wait_for_socket()
    opened = slack.calls_to("apps.connections.open")
    assert [c.token for c in opened] == [APP_TOKEN]

    mention = payloads.app_mention(f"<@{BOT_USER}> hello over the socket")
    event_envelope = await slack.send_envelope("events_api", payloads.envelope(mention))
    assert (await slack.wait_for_ack(event_envelope)) == {"envelope_id": event_envelope}
    stop = await slack.wait_for_call("chat.stopStream")
    assert slack.text_of(CHANNEL, stop.params["ts"]) == "echo: hello over the socket"
    assert slack.messages[(CHANNEL, stop.params["ts"])].thread_ts == mention["ts"]

    command = payloads.slash_command("/parley", "help", user=GRACE, response_url=slack.response_url())
    command_envelope = await slack.send_envelope("slash_commands", command)
    await slack.wait_for_ack(command_envelope)
    reply = await slack.wait_for_call("response_url")
    assert "/persona" in reply.params["text"]
    assert len(llm.chat_requests) == 1


async def test_an_event_is_acked_only_once_the_message_is_in_the_inbox(socket_bot, slack, llm):
    _, running = socket_bot
    await slack.wait_for_socket()
    release = slack.hold("users.info")  # the names in the text are looked up before the message is accepted
    mention = payloads.app_mention(f"<@{BOT_USER}> ack me when it is safe")
    envelope_id = await slack.send_envelope("events_api", payloads.envelope(mention))
    await slack.wait_for_held("users.info")

    assert envelope_id not in slack.acks
    assert await inbox_row(running.database, event_id_of(mention)) is None
    release.set()
    await slack.wait_for_ack(envelope_id)
    row = await inbox_row(running.database, event_id_of(mention))
    assert row is not None and row["text"] == "ack me when it is safe"
    stop = await slack.wait_for_call("chat.stopStream")
    assert slack.text_of(CHANNEL, stop.params["ts"]) == "echo: ack me when it is safe"
