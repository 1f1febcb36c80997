"""The stand-in itself: the parts of Discord's behaviour the other tests rely on."""

from __future__ import annotations

import aiohttp

from tests.standins.discord_server import FAKE_TOKEN, DiscordStandIn


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
