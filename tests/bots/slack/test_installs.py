"""Installs for many workspaces, through the real bolt OAuth flow against the stand-in's oauth.v2.access:
each workspace is answered with its own token and sees only its own data; tokens are stored encrypted;
an uninstall deletes the tokens at once and starts the grace period; a re-install within it keeps the data."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bots.slack.__main__ import missing_setting
from bots.slack.app import SlackBot, build_bot
from bots.slack.server import HttpServer
from core.bootstrap import RunningCore, start_core
from core.config import SettingsError, load_settings
from tests.bots.slack import payloads
from tests.bots.slack.conftest import SIGNING_SECRET, parley_settings
from tests.standins.slack_server import SlackStandIn, signed_headers

CLIENT_ID, CLIENT_SECRET = "1234567890.0987654321", "client-secret-not-real"
REDIRECT_URI = "https://parley.example/slack/oauth_redirect"
ACME, GLOBEX = payloads.TEAM, "T0GLOBEX"
CHANNELS = {ACME: "C0ACME", GLOBEX: "C0GLOBEX"}
ADMINS = {ACME: payloads.GRACE, GLOBEX: "U0GLOBEXADMIN"}


def in_team(body: dict[str, Any], team: str) -> dict[str, Any]:
    """A payload builder's body as the workspace ``team`` sends it."""
    body = copy.deepcopy(body)
    for holder in (body, body.get("event") or {}):
        for key in ("team_id", "context_team_id", "team"):
            if isinstance(holder.get(key), str):
                holder[key] = team
    for authorization in body.get("authorizations") or []:
        authorization["team_id"] = team
    return body


@dataclass
class Installs:
    bot: SlackBot
    running: RunningCore
    base: str
    session: aiohttp.ClientSession
    slack: SlackStandIn

    async def install(self, team: str, *, name: str) -> int:
        """An admin of ``team`` installs Parley from the browser; the status of the redirect's answer."""
        async with aiohttp.ClientSession() as browser:
            async with browser.get(f"{self.base}/slack/install", allow_redirects=False) as started:
                assert started.status == 302
                consent_page = started.headers["Location"]
                # The state cookie is Secure (Parley is served over https): sent back as a browser would.
                cookie = started.headers["Set-Cookie"].split(";", 1)[0]
            code = self.slack.approve(consent_page, team_id=team, team_name=name)
            state = parse_qs(urlsplit(consent_page).query)["state"][0]
            async with browser.get(f"{self.base}/slack/oauth_redirect", params={"code": code, "state": state},
                                   headers={"Cookie": cookie}) as done:
                await done.read()
                return done.status

    async def post(self, body: str, *, content_type: str) -> int:
        headers = {"Content-Type": content_type, **signed_headers(SIGNING_SECRET, body)}
        async with self.session.post(f"{self.base}/slack/events", data=body.encode(), headers=headers) as response:
            await response.read()
            return response.status

    async def mention(self, team: str, words: str) -> dict[str, Any]:
        event = payloads.app_mention(f"<@{payloads.BOT_USER}> {words}", channel=CHANNELS[team], user=ADMINS[team])
        self.slack.add_message(event["channel"], event["ts"], event["text"], user=event["user"])
        assert await self.post(json.dumps(in_team(payloads.envelope(event), team)), content_type="application/json") == 200
        return event

    async def command(self, team: str, command: str, words: str) -> None:
        form = payloads.slash_command(command, words, user=ADMINS[team], channel=CHANNELS[team],
                                      response_url=self.slack.response_url(), trigger_id=self.slack.new_trigger())
        form["team_id"] = team
        assert await self.post(urlencode(form), content_type="application/x-www-form-urlencoded") == 200

    async def event(self, team: str, event: dict[str, Any]) -> int:
        return await self.post(json.dumps(in_team(payloads.envelope(event), team)), content_type="application/json")

    async def rows(self, table: str) -> list[dict[str, Any]]:
        async with self.running.database.engine.connect() as connection:
            return [dict(row._mapping) for row in await connection.execute(text(f"SELECT * FROM {table}"))]


@pytest.fixture
async def installs(tmp_path, slack, llm, clock) -> AsyncIterator[Installs]:
    slack.add_oauth_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    slack.add_user(ADMINS[GLOBEX], name="gus", is_admin=True, team_id=GLOBEX)
    settings = parley_settings(
        tmp_path, slack, llm, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
        slack_token_encryption_key=Fernet.generate_key().decode(), slack_redirect_uri=REDIRECT_URI,
    )
    running = await start_core(settings)
    bot = build_bot(running.core, settings, clock=clock, engine=running.database.engine)
    server = HttpServer(bot.app, host="127.0.0.1", port=0)
    port = await server.start()
    async with aiohttp.ClientSession() as session:
        yield Installs(bot=bot, running=running, base=f"http://127.0.0.1:{port}", session=session, slack=slack)
    await bot.in_flight.drain(timeout=5)
    await server.aclose()
    await bot.aclose()
    await running.aclose()


def chat_tokens(slack: SlackStandIn, channel: str) -> set[str | None]:
    return {call.token for call in slack.calls if call.method.startswith("chat.") and call.params.get("channel") == channel}


async def test_two_workspaces_are_each_answered_with_their_own_token_and_see_only_their_own_data(installs, slack):
    assert await installs.install(ACME, name="Acme") == 200
    assert await installs.install(GLOBEX, name="Globex") == 200
    (acme_token,), (globex_token,) = slack.tokens_of(ACME), slack.tokens_of(GLOBEX)
    access = slack.calls_to("oauth.v2.access")
    assert [call.response["ok"] for call in access] == [True, True]
    assert all(call.params["redirect_uri"] == REDIRECT_URI for call in access)

    await installs.mention(ACME, "hello from Acme")
    await installs.mention(GLOBEX, "hello from Globex")
    await installs.bot.in_flight.wait_finished(2, timeout=10)

    assert chat_tokens(slack, CHANNELS[ACME]) == {acme_token}
    assert chat_tokens(slack, CHANNELS[GLOBEX]) == {globex_token}
    assert {call.token for call in slack.calls_to("users.info")} <= {acme_token, globex_token}

    await installs.command(ACME, "/persona", "create pirate Talk like a pirate.")
    await slack.wait_for_call("response_url")
    await installs.command(GLOBEX, "/persona", "list")
    globex_list = await slack.wait_for_call("response_url", count=2)
    await installs.command(ACME, "/persona", "list")
    acme_list = await slack.wait_for_call("response_url", count=3)
    assert "pirate" in acme_list.params["text"] and "pirate" not in globex_list.params["text"]


async def test_a_database_dump_holds_no_token(installs, slack):
    await installs.install(ACME, name="Acme")
    (token,) = slack.tokens_of(ACME)

    dump = json.dumps([await installs.rows(t) for t in ("slack_installations", "slack_bots")], default=str)

    assert token not in dump and token.split("-")[1] not in dump.replace(ACME, "")
    assert [row["bot_token"].startswith("fernet:") for row in await installs.rows("slack_bots")] == [True]
    assert [row["user_id"] for row in await installs.rows("slack_installations")] == [""]  # no installer's id


async def test_a_used_code_or_a_wrong_browser_installs_nothing(installs, slack):
    async with aiohttp.ClientSession() as stranger:  # no state cookie: another browser than the installer's
        async with stranger.get(f"{installs.base}/slack/install", allow_redirects=False) as started:
            consent_page = started.headers["Location"]
        code = slack.approve(consent_page, team_id=ACME, team_name="Acme")
        state = parse_qs(urlsplit(consent_page).query)["state"][0]
        async with stranger.get(f"{installs.base}/slack/oauth_redirect", params={"code": code, "state": state}) as done:
            assert done.status == 400
    assert await installs.rows("slack_bots") == [] and slack.calls_to("oauth.v2.access") == []


async def test_installs_started_and_never_finished_do_not_pile_up(installs):
    async with installs.running.database.engine.begin() as connection:
        await connection.execute(text("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('old', '2020-01-01')"))
    async with installs.session.get(f"{installs.base}/slack/install", allow_redirects=False) as started:
        assert started.status == 302
    assert [row["state"] != "old" for row in await installs.rows("slack_oauth_states")] == [True]


async def test_tokens_revoked_deletes_the_tokens_at_once_and_a_reinstall_keeps_the_data(installs, slack):
    await installs.install(ACME, name="Acme")
    await installs.install(GLOBEX, name="Globex")
    await installs.mention(GLOBEX, "remember me")
    await installs.bot.in_flight.wait_finished(1, timeout=10)
    slack.revoke(GLOBEX)

    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [payloads.BOT_USER]}, "event_ts": "1.2"}
    assert await installs.event(GLOBEX, revoked) == 200

    assert {row["team_id"] for row in await installs.rows("slack_bots")} == {ACME}
    assert {row["team_id"] for row in await installs.rows("slack_installations")} == {ACME}
    departures = await installs.rows("workspace_departures")
    assert [(row["workspace"], row["reason"]) for row in departures] == [(GLOBEX, "tokens_revoked")]
    calls_before = len(slack.calls)
    await installs.mention(GLOBEX, "anyone there?")  # no token any more: nothing is called with one
    assert [c for c in slack.calls[calls_before:] if c.token in slack.tokens_of(GLOBEX)] == []

    assert await installs.install(GLOBEX, name="Globex") == 200  # back within the grace period
    assert await installs.rows("workspace_departures") == []
    assert len(await installs.rows("conversation_turns")) == 2  # the exchange before the uninstall is kept


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"slack_bot_token": "xoxb-x"}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set"),
        ({"slack_app_token": "xapp-x"}, "SLACK_CLIENT_ID needs HTTP mode"),
        ({"slack_client_secret": None}, "SLACK_CLIENT_SECRET is not set"),
        ({"slack_token_encryption_key": ""}, "SLACK_TOKEN_ENCRYPTION_KEY is not set"),
        ({"slack_scopes": ""}, "SLACK_SCOPES is empty"),
    ],
)
def test_oauth_settings_that_cannot_work_are_one_line(overrides, line):
    values = dict(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, slack_signing_secret="s",
                  slack_token_encryption_key=Fernet.generate_key().decode(), slack_bot_token=None)
    problem = missing_setting(load_settings(**{**values, **overrides}))
    assert problem is not None and problem.startswith(line) and "\n" not in problem


def test_a_key_that_is_not_a_fernet_key_is_a_one_line_settings_error():
    with pytest.raises(SettingsError) as caught:
        load_settings(slack_token_encryption_key="not-a-key")
    assert str(caught.value).startswith("Invalid setting SLACK_TOKEN_ENCRYPTION_KEY:") and "\n" not in str(caught.value)
    assert "Fernet.generate_key" in str(caught.value)


async def test_a_file_shared_in_one_workspace_is_read_with_that_workspaces_token(installs, slack, llm):
    assert await installs.install(ACME, name="Acme") == 200
    assert await installs.install(GLOBEX, name="Globex") == 200
    (acme_token,), (globex_token,) = slack.tokens_of(ACME), slack.tokens_of(GLOBEX)
    for token in (acme_token, globex_token):
        slack.grant(token, "files:read")
    shared = slack.host_file("plan.txt", b"ship it on friday", mimetype="text/plain")
    event = payloads.app_mention(f"<@{payloads.BOT_USER}> what does the plan say?", channel=CHANNELS[GLOBEX],
                                 user=ADMINS[GLOBEX])
    event["files"] = [shared]
    slack.add_message(event["channel"], event["ts"], event["text"], user=event["user"])

    assert await installs.event(GLOBEX, event) == 200
    await installs.bot.in_flight.wait_finished(1, timeout=10)

    assert [(request.token, request.status) for request in slack.file_requests] == [(globex_token, 200)]
    assert "ship it on friday" in llm.chat_requests[-1].json["messages"][-1]["content"]
