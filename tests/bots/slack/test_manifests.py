"""The Slack app manifests: valid by Slack's own JSON schema, and asking for what the app uses.

``bots/slack/manifest.yml`` is the Socket Mode app, ``manifest.http.yml`` the
same app in HTTP mode.  The schema is Slack's (slackapi/manifest-schema),
vendored under ``manifest_schema/`` (see its README for the commit and licence).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from bots.slack.commands import COMMANDS
from bots.slack.server import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = Path(__file__).parent / "manifest_schema"
SCHEMA_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
MANIFESTS = {"socket": ROOT / "bots/slack/manifest.yml", "http": ROOT / "bots/slack/manifest.http.yml"}

# What Parley calls or receives, and the scope each needs.
SCOPES = {
    "app_mentions:read",  # app_mention events
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral, chat.startStream/appendStream/stopStream
    "channels:history", "groups:history", "im:history",  # message.channels, message.groups, message.im
    "mpim:history",  # conversations.replies in a group DM (thread context; the others serve it too)
    "channels:read", "groups:read", "mpim:read",  # conversations.members: a summary only for a channel's members
    "im:write",  # conversations.open: the DM a /parley export file goes to
    "users:read",  # users.info: names, the admin verdict
    "usergroups:read",  # usergroups.users.list: access rules naming user groups
    "commands",  # /persona, /parley
    "assistant:write",  # assistant.threads.setStatus / setSuggestedPrompts / setTitle
    "files:write",  # files_upload_v2 (/parley export)
    "files:read",  # url_private: the files shared with a question (bots/slack/attachments.py)
}
EVENTS = {"app_mention", "message.channels", "message.groups", "message.im", "assistant_thread_started"}
UNINSTALL_EVENTS = {"tokens_revoked", "app_uninstalled"}  # HTTP mode: installs for many workspaces


def validator() -> Draft7Validator:
    def schema(name: str) -> dict[str, Any]:
        return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))

    registry = Registry().with_resources(
        (SCHEMA_BASE + name, Resource.from_contents(schema(name)))
        for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")
    )
    return Draft7Validator(schema("manifest.schema.json"), registry=registry)


def manifest(mode: str) -> dict[str, Any]:
    return yaml.safe_load(MANIFESTS[mode].read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", sorted(MANIFESTS))
def test_the_manifest_is_valid_by_slacks_schema(mode):
    error = best_match(validator().iter_errors(manifest(mode)))
    assert error is None, f"{MANIFESTS[mode].name}: {error.message} at {list(error.absolute_path)}"


def test_the_schema_catches_a_broken_manifest():
    broken = manifest("http")
    broken["settings"]["event_subscriptions"]["request_url"] = "YOUR-HOST/slack/events"  # no scheme
    assert best_match(validator().iter_errors(broken)) is not None


@pytest.mark.parametrize("mode", sorted(MANIFESTS))
def test_the_manifest_asks_for_what_the_app_uses(mode):
    app = manifest(mode)
    assert set(app["oauth_config"]["scopes"]["bot"]) == SCOPES
    extra = UNINSTALL_EVENTS if mode == "http" else set()
    assert set(app["settings"]["event_subscriptions"]["bot_events"]) == EVENTS | extra
    assert [c["command"] for c in app["features"]["slash_commands"]] == list(COMMANDS)
    assert app["settings"]["interactivity"]["is_enabled"] is True and "assistant_view" in app["features"]


def test_socket_mode_has_no_request_urls_and_http_mode_sends_everything_to_slack_events():
    socket, http = manifest("socket"), manifest("http")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    assert http["settings"]["socket_mode_enabled"] is False
    urls = [http["settings"]["event_subscriptions"]["request_url"], http["settings"]["interactivity"]["request_url"]]
    urls += [c["url"] for c in http["features"]["slash_commands"]]
    assert urls == [f"https://YOUR-HOST{EVENTS_PATH}"] * 4
    # The same app otherwise.
    assert socket["display_information"] == http["display_information"]
    assert socket["oauth_config"]["scopes"] == http["oauth_config"]["scopes"]
    commands = [{k: v for k, v in c.items() if k != "url"} for c in http["features"]["slash_commands"]]
    assert commands == socket["features"]["slash_commands"]


def test_an_install_asks_for_the_manifests_scopes_and_comes_back_to_the_oauth_redirect():
    from bots.slack.install import REDIRECT_PATH
    from core.config import Settings

    assert set(Settings.model_fields["slack_scopes"].default) == SCOPES
    assert manifest("http")["oauth_config"]["redirect_urls"] == [f"https://YOUR-HOST{REDIRECT_PATH}"]
