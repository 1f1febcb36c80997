"""The stand-in refuses request bodies as Discord does: its OpenAPI schemas, then its documented rules.

Each refusal is checked for Discord's code and for the field it names
(50035's ``errors`` tree), so a test elsewhere that passes means Discord
would have taken the same bodies.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.standins.discord_server import ALICE, BOT, FAKE_TOKEN, GENERAL, DiscordStandIn

TEXT_INPUT = {"type": 4, "custom_id": "prompt", "style": 2, "max_length": 100, "value": "Be brief."}
MODAL = {"type": 9, "data": {"custom_id": "persona-form", "title": "New persona", "components": [
    {"type": 18, "label": "System prompt", "component": TEXT_INPUT},
    {"type": 18, "label": "Model", "component": {**TEXT_INPUT, "custom_id": "model", "style": 1}},
]}}
REQUIRED = {"type": 3, "name": "name", "description": "Which one", "required": True}
OPTIONAL = {"type": 3, "name": "detail", "description": "How much", "required": False}
SUBCOMMAND = {"type": 1, "name": "show", "description": "A persona", "options": [REQUIRED, OPTIONAL]}
COMMANDS = [
    {"name": "persona", "description": "Personas", "type": 1, "options": [SUBCOMMAND]},
    {"name": "parley", "description": "Parley", "type": 1, "options": [{**SUBCOMMAND, "name": "help", "options": []}]},
]


class Client:
    def __init__(self, server: DiscordStandIn, http: aiohttp.ClientSession) -> None:
        self.server, self.http = server, http

    async def call(self, method: str, path: str, body: Any = None, *, data: Any = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bot {FAKE_TOKEN}"}
        async with self.http.request(method, self.server.api_url + path, json=body, data=data, headers=headers) as answer:
            return answer.status, (await answer.json() if answer.status != 204 else {})

    async def callback(self, body: dict) -> tuple[int, dict]:
        """``body`` as the first response to a new /parley help."""
        interaction_id = await self.server.run_command(ALICE, GENERAL, "parley", "help")
        token = self.server.interactions[interaction_id].token
        return await self.call("POST", f"/interactions/{interaction_id}/{token}/callback", body)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with DiscordStandIn(rate_limit=(1_000, 1.0)) as server, aiohttp.ClientSession() as http:
        yield Client(server, http)


def refused_at(answer: tuple[int, dict], *path: str | int) -> list[str]:
    """The error codes 50035 gives for the field at ``path``."""
    status, body = answer
    assert (status, body.get("code")) == (400, 50035), answer
    node = body["errors"]
    for part in path:
        node = node[str(part)]
    return [error["code"] for error in node["_errors"]]


def with_change(base: dict, path: tuple, value: Any) -> dict:
    changed = copy.deepcopy(base)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


async def test_a_message_has_at_most_2000_characters_and_something_in_it(client):
    messages = f"/channels/{GENERAL}/messages"
    assert refused_at(await client.call("POST", messages, {"content": "x" * 2_001}), "content") == ["BASE_TYPE_MAX_LENGTH"]
    assert (await client.call("POST", messages, {"content": "x" * 2_000}))[0] == 200
    assert (await client.call("POST", messages, {"content": " \n "}))[1]["code"] == 50006

    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"attachments": [{"id": 0, "filename": "notes.txt"}]}))
    form.add_field("files[0]", b"just a file", filename="notes.txt")
    status, sent = await client.call("POST", messages, data=form)  # an attachment alone is a message
    assert status == 200 and [a["filename"] for a in sent["attachments"]] == ["notes.txt"]


async def test_an_edit_may_change_flags_alone_but_not_empty_the_message(client):
    _, message = await client.call("POST", f"/channels/{GENERAL}/messages", {"content": "hello"})
    edit = f"/channels/{GENERAL}/messages/{message['id']}"
    status, edited = await client.call("PATCH", edit, {"flags": 4})  # suppress embeds
    assert status == 200 and edited["content"] == "hello"
    assert (await client.call("PATCH", edit, {"content": ""}))[1]["code"] == 50006
    assert refused_at(await client.call("PATCH", edit, {"content": "x" * 2_001}), "content") == ["BASE_TYPE_MAX_LENGTH"]


async def test_interaction_answers_keep_the_message_rules(client):
    assert refused_at(await client.callback({"type": 4, "data": {"content": "x" * 2_001}}), "data", "content")
    assert (await client.callback({"type": 4, "data": {"content": ""}}))[1]["code"] == 50006
    assert refused_at(await client.callback({"type": 5, "data": {"flags": 4}}), "data", "flags")  # only EPHEMERAL
    assert (await client.callback({"type": 5, "data": {"flags": 64}}))[0] == 200
    assert (await client.callback(MODAL))[0] == 200


@pytest.mark.parametrize(
    ("path", "value", "refused"),
    [
        (("data", "title"), "t" * 46, ("data", "title")),
        (("data", "custom_id"), "c" * 101, ("data", "custom_id")),
        (("data", "components", 0, "component", "value"), "v" * 101, ("data", "components", 0, "component", "value")),
        (("data", "components", 0, "component", "max_length"), 4_001, ("data", "components", 0, "component", "max_length")),
        (("data", "components", 1, "component", "custom_id"), "prompt", ("data", "components", 1, "component", "custom_id")),
        (("data", "components", 0, "label"), "l" * 46, ("data", "components", 0, "label")),
        (("data", "components", 0, "component"), {"type": 2, "style": 1}, ("data", "components", 0, "component", "type")),
        (("data", "components"), [], ("data", "components")),
        (("data", "components"), [MODAL["data"]["components"][0]] * 6, ("data", "components")),
    ],
)
async def test_a_modal_outside_discords_limits_is_refused_naming_the_field(client, path, value, refused):
    assert refused_at(await client.callback(with_change(MODAL, path, value)), *refused)


async def test_follow_ups_keep_the_message_rules(client):
    interaction_id = await client.server.run_command(ALICE, GENERAL, "parley", "help")
    token = client.server.interactions[interaction_id].token
    await client.call("POST", f"/interactions/{interaction_id}/{token}/callback", {"type": 5, "data": {"flags": 64}})
    webhook = f"/webhooks/{BOT}/{token}"
    assert refused_at(await client.call("PATCH", f"{webhook}/messages/@original", {"content": "x" * 2_001}), "content")
    assert (await client.call("PATCH", f"{webhook}/messages/@original", {"content": "first"}))[0] == 200
    assert refused_at(await client.call("POST", webhook, {"content": "x" * 2_001}), "content")
    assert (await client.call("POST", webhook, {"content": ""}))[1]["code"] == 50006
    assert (await client.call("POST", webhook, {"content": "second", "flags": 64}))[0] == 200


@pytest.mark.parametrize(
    ("path", "value", "refused"),
    [
        ((0, "name"), "Persona", (0, "name")),  # not lowercase
        ((0, "name"), "two words", (0, "name")),
        ((0, "name"), "n" * 33, (0, "name")),
        ((0, "description"), "", (0, "description")),
        ((0, "description"), "d" * 101, (0, "description")),
        ((0, "options"), [{**SUBCOMMAND, "name": f"sub{i}"} for i in range(26)], (0, "options")),
        ((0, "options", 0, "options"), [OPTIONAL, REQUIRED], (0, "options", 0, "options", 1, "required")),
        ((0, "options", 0, "options", 1, "name"), "name", (0, "options", 0, "options", 1, "name")),
        ((0, "options", 0, "description"), "d" * 101, (0, "options", 0, "description")),
        ((1, "name"), "persona", (1, "name")),  # the same name twice
    ],
)
async def test_command_sync_outside_discords_rules_is_refused_naming_the_field(client, path, value, refused):
    route = f"/applications/{BOT}/commands"
    assert (await client.call("PUT", route, COMMANDS))[0] == 200
    assert refused_at(await client.call("PUT", route, with_change(COMMANDS, path, value)), *refused)
    assert [c["name"] for c in client.server.commands["global"]] == ["persona", "parley"]  # the valid set stays


async def test_past_fifty_requests_a_second_the_bot_gets_discords_global_429(client):
    answers = await asyncio.gather(*(client.call("GET", "/users/@me") for _ in range(55)))

    refused = [body for status, body in answers if status == 429]
    assert 1 <= len(refused) <= 5 and all(body["global"] is True for body in refused)  # 50 a second in all
