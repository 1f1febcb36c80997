"""The stand-in keeps Discord's rules about who may do what: permissions, others' messages, intents."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.bots.discord.test_standin_rules import Client, client, refused_at  # noqa: F401 (the fixture)
from tests.standins.discord_server import (
    ALICE, DM_ALICE, FAKE_TOKEN, GENERAL, MESSAGE_CONTENT_INTENT, QUIET, READ_MESSAGE_HISTORY, SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL, DiscordStandIn,
)

GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES = 1 << 0, 1 << 9, 1 << 12


async def test_the_bot_edits_and_deletes_only_its_own_messages(client: Client):
    theirs = await client.server.send_message(ALICE, GENERAL, "mine, not the bot's")
    path = f"/channels/{GENERAL}/messages/{theirs['id']}"
    assert (await client.call("PATCH", path, {"content": "edited by a bot"}))[1]["code"] == 50005
    assert (await client.call("DELETE", path))[1]["code"] == 50013  # Manage Messages, which Parley never asks for
    _, own = await client.call("POST", f"/channels/{GENERAL}/messages", {"content": "the bot's"})
    own_path = f"/channels/{GENERAL}/messages/{own['id']}"
    assert (await client.call("PATCH", own_path, {"content": "edited"}))[0] == 200
    assert (await client.call("DELETE", own_path))[0] == 204
    assert (await client.call("DELETE", own_path))[1]["code"] == 10008


async def test_replies_and_threads_need_their_message(client: Client):
    gone = await client.server.send_message(ALICE, GENERAL, "soon deleted")
    await client.server.delete_message(int(gone["id"]))
    reply = {"content": "a reply", "message_reference": {"message_id": gone["id"], "channel_id": str(GENERAL)}}
    messages = f"/channels/{GENERAL}/messages"
    assert refused_at(await client.call("POST", messages, reply), "message_reference")
    reply["message_reference"]["fail_if_not_exists"] = False
    status, sent = await client.call("POST", messages, reply)
    assert status == 200 and "message_reference" not in sent and sent["type"] == 0  # a plain message
    thread = {"name": "about it"}
    assert (await client.call("POST", f"{messages}/{gone['id']}/threads", thread))[1]["code"] == 10008
    elsewhere = await client.server.send_message(ALICE, QUIET, "in another channel")
    assert (await client.call("POST", f"{messages}/{elsewhere['id']}/threads", thread))[1]["code"] == 10008


async def test_permissions_hold_in_a_channel_and_its_threads(client: Client):
    server = client.server
    asked = await server.send_message(ALICE, GENERAL, "start a thread here")
    assert (await client.call("POST", f"/channels/{GENERAL}/messages/{asked['id']}/threads", {"name": "t"}))[0] == 201
    server.deny(GENERAL, SEND_MESSAGES)
    assert (await client.call("POST", f"/channels/{GENERAL}/messages", {"content": "hi"}))[1]["code"] == 50013
    assert (await client.call("POST", f"/channels/{asked['id']}/messages", {"content": "in the thread"}))[0] == 200
    server.deny(GENERAL, SEND_MESSAGES_IN_THREADS)
    assert (await client.call("POST", f"/channels/{asked['id']}/messages", {"content": "again"}))[1]["code"] == 50013

    question = await server.send_message(ALICE, QUIET, "reply to me")
    server.deny(QUIET, READ_MESSAGE_HISTORY)
    reply = {"content": "a reply", "message_reference": {"message_id": question["id"]}}
    assert (await client.call("POST", f"/channels/{QUIET}/messages", reply))[1]["code"] == 50013
    assert (await client.call("POST", f"/channels/{QUIET}/messages", {"content": "not a reply"}))[0] == 200
    server.deny(QUIET, VIEW_CHANNEL)
    assert (await client.call("GET", f"/channels/{QUIET}"))[1]["code"] == 50001
    assert (await client.call("POST", f"/channels/{DM_ALICE}/messages", {"content": "a DM"}))[0] == 200


async def test_a_session_gets_only_the_events_its_intents_ask_for():
    async with DiscordStandIn() as server, aiohttp.ClientSession() as http:
        guilds_only = await _identified(http, server, GUILDS | MESSAGE_CONTENT_INTENT)
        messages_only = await _identified(http, server, GUILD_MESSAGES | MESSAGE_CONTENT_INTENT)
        assert await _events(guilds_only, 2) == [("READY", None), ("GUILD_CREATE", "Parley test guild")]
        assert await _events(messages_only, 1) == [("READY", None)]  # no guild without GUILDS

        await server.send_message(ALICE, GENERAL, "a guild message")
        await server.send_message(ALICE, DM_ALICE, "a direct message")
        await server.start_user_thread(ALICE, GENERAL, "a thread")
        await server.send_message(ALICE, GENERAL, "another guild message")
        assert await _events(guilds_only, 1) == [("THREAD_CREATE", "a thread")]  # no message came before it
        assert await _events(messages_only, 2) == [  # neither the DM nor the thread
            ("MESSAGE_CREATE", "a guild message"), ("MESSAGE_CREATE", "another guild message"),
        ]
        await guilds_only.close()
        await messages_only.close()


async def _identified(http: aiohttp.ClientSession, server: DiscordStandIn, intents: int) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(server.gateway_url)
    assert json.loads((await ws.receive()).data)["op"] == 10  # HELLO
    await ws.send_json({"op": 2, "d": {"token": FAKE_TOKEN, "intents": intents, "properties": {}}})
    return ws


async def _events(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[tuple[str, str | None]]:
    """The next ``count`` dispatches: each one's name, and a message's content or a thread's name."""
    async with asyncio.timeout(5):
        frames = [json.loads((await ws.receive()).data) for _ in range(count)]
    return [(frame["t"], frame["d"].get("content", frame["d"].get("name"))) for frame in frames]
