"""The stand-in itself: the parts of Discord's behaviour the other tests rely on."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.standins.discord_server import ALICE, BOT, FAKE_TOKEN, GENERAL, DiscordStandIn


async def test_answers_are_exactly_json_and_over_the_limit_is_a_retryable_429():
    async with DiscordStandIn(rate_limit=(2, 60.0)) as server, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {FAKE_TOKEN}"}
        for remaining in ("1", "0"):
            async with http.get(f"{server.api_url}/users/@me", headers=headers) as response:
                assert response.status == 200 and response.headers["Content-Type"] == "application/json"
                assert response.headers["X-RateLimit-Remaining"] == remaining
        async with http.get(f"{server.api_url}/users/@me", headers=headers) as response:
            assert response.status == 429 and response.headers["Via"]
            assert 0 < (await response.json())["retry_after"] <= 60
        assert [c.status for c in server.rate_limited] == [429]


async def post(http: aiohttp.ClientSession, url: str, *, method: str = "POST", body: dict | None = None) -> tuple[int, dict]:
    async with http.request(method, url, json=body) as response:
        return response.status, await response.json()


async def test_an_interaction_is_acknowledged_once_and_within_three_seconds():
    async with DiscordStandIn() as server, aiohttp.ClientSession() as http:
        on_time = await server.run_command(ALICE, GENERAL, "parley", "help")
        late = await server.run_command(ALICE, GENERAL, "parley", "help")

        def callback(interaction_id: int, token: str | None = None) -> str:
            token = token or server.interactions[interaction_id].token
            return f"{server.api_url}/interactions/{interaction_id}/{token}/callback"

        deferral = {"type": 5, "data": {"flags": 64}}
        assert (await post(http, callback(on_time, "someone-elses-token"), body=deferral))[1]["code"] == 10062
        status, answer = await post(http, callback(on_time), body=deferral)
        assert status == 200 and answer["interaction"]["response_message_loading"]
        status, answer = await post(http, callback(on_time), body={"type": 4, "data": {"content": "again"}})
        assert (status, answer["code"]) == (400, 40060)

        server.advance_clock(3.01)
        status, answer = await post(http, callback(late), body=deferral)
        assert (status, answer["code"]) == (404, 10062)
        assert [c.code for c in server.broken_rules] == [10062, 40060, 10062]


async def test_follow_ups_need_an_acknowledged_interaction_and_edit_only_its_messages():
    async with DiscordStandIn() as server, aiohttp.ClientSession() as http:
        interaction_id = await server.run_command(ALICE, GENERAL, "parley", "help")
        state = server.interactions[interaction_id]
        webhook = f"{server.api_url}/webhooks/{BOT}/{state.token}"
        assert (await post(http, webhook, body={"content": "too early"}))[1]["code"] == 10015

        callback = f"{server.api_url}/interactions/{interaction_id}/{state.token}/callback"
        await post(http, callback, body={"type": 5, "data": {"flags": 64}})
        status, original = await post(http, f"{webhook}/messages/@original", method="GET")
        assert status == 200 and original["flags"] == 64 | 128  # ephemeral, loading
        assert (await post(http, f"{webhook}/messages/{original['id']}1", method="PATCH", body={"content": "x"}))[1][
            "code"] == 10008
        assert (await post(http, f"{webhook}/messages/@original", method="PATCH", body={"content": " "}))[1][
            "code"] == 50006
        status, edited = await post(http, f"{webhook}/messages/@original", method="PATCH", body={"content": "done"})
        assert status == 200 and edited["content"] == "done" and edited["flags"] == 64 and state.answered

        server.advance_clock(15 * 60 + 1)
        assert (await post(http, webhook, body={"content": "too late"}))[1]["code"] == 50027


async def test_a_held_call_changes_nothing_and_its_connection_is_dropped_when_the_stand_in_closes():
    server = await DiscordStandIn().start()
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {FAKE_TOKEN}"}) as http:
            status, sent = await post(http, f"{server.api_url}/channels/{GENERAL}/messages", body={"content": "v1"})
            assert status == 200
            server.hold_calls("PATCH", "/channels/{channel_id}/messages/{message_id}", when=lambda b: b["content"] == "v2")
            edit = asyncio.create_task(
                post(http, f"{server.api_url}/channels/{GENERAL}/messages/{sent['id']}", method="PATCH", body={"content": "v2"})
            )
            (held,) = await server.wait_for(lambda: server.held_calls)
            assert held.json == {"content": "v2"} and server.messages[int(sent["id"])]["content"] == "v1"
            await server.close()
            with pytest.raises(aiohttp.ClientError):
                await edit
    finally:
        await server.close()
