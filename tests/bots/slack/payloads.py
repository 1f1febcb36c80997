"""Slack payloads in the shapes Slack sends them (Events API, slash commands, view submissions).

Field sets follow payloads recorded from real workspaces (ids made up); the
builders only vary what the tests care about.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

TEAM = "T0PARLEY"
BOT_USER = "U0PARLEYBOT"
BOT_ID = "B0PARLEYBOT"
APP_ID = "A0PARLEY"
CHANNEL = "C0GENERAL"
DM = "D0ADA"
ADA = "U0ADA"  # an ordinary member
GRACE = "U0GRACE"  # a workspace admin

_seq = itertools.count(1)


def next_ts() -> str:
    return f"1710000{next(_seq):03d}.000200"


def rich_text(text: str) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "block_id": "b1", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def envelope(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The Events API ``event_callback`` body around one event."""
    return {
        "token": "verification-token-not-used",
        "team_id": TEAM,
        "context_team_id": TEAM,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_seq):08d}",
        "event_time": int(float(event.get("event_ts") or event.get("ts") or 1710000000)),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
    }


def app_mention(text: str, *, ts: str | None = None, user: str = ADA, channel: str = CHANNEL,
                thread_ts: str | None = None) -> dict[str, Any]:
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "user": user, "type": "app_mention", "ts": ts, "client_msg_id": f"c0ffee00-0000-4000-8000-{ts[-6:]}00000",
        "text": text, "team": TEAM, "blocks": rich_text(text), "channel": channel, "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def channel_message(text: str, *, ts: str | None = None, user: str = ADA, channel: str = CHANNEL,
                    thread_ts: str | None = None, parent_user_id: str | None = None) -> dict[str, Any]:
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "user": user, "type": "message", "ts": ts, "client_msg_id": f"c0ffee00-0000-4000-8000-{ts[-6:]}00000",
        "text": text, "team": TEAM, "blocks": rich_text(text), "channel": channel, "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user
    return event


def dm_message(text: str, *, ts: str | None = None, user: str = ADA, channel: str = DM,
               thread_ts: str | None = None, parent_user_id: str | None = None) -> dict[str, Any]:
    event = channel_message(text, ts=ts, user=user, channel=channel, thread_ts=thread_ts, parent_user_id=parent_user_id)
    event["channel_type"] = "im"
    return event


def message_changed(*, channel: str = CHANNEL, user: str = ADA) -> dict[str, Any]:
    ts, edited = next_ts(), next_ts()
    return {
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel, "ts": edited,
        "event_ts": edited, "channel_type": "channel",
        "message": {"type": "message", "user": user, "text": f"<@{BOT_USER}> edited", "ts": ts,
                    "edited": {"user": user, "ts": edited}},
        "previous_message": {"type": "message", "user": user, "text": f"<@{BOT_USER}> original", "ts": ts},
    }


def bot_message(text: str, *, bot_id: str = "B0DEPLOY", channel: str = CHANNEL) -> dict[str, Any]:
    ts = next_ts()
    return {"type": "message", "subtype": "bot_message", "text": text, "ts": ts, "bot_id": bot_id,
            "username": "deploybot", "channel": channel, "event_ts": ts, "channel_type": "channel"}


def own_message(text: str, *, channel: str = CHANNEL, thread_ts: str | None = None) -> dict[str, Any]:
    ts = next_ts()
    event = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID, "text": text, "ts": ts,
             "team": TEAM, "channel": channel, "event_ts": ts, "channel_type": "channel",
             "bot_profile": {"id": BOT_ID, "name": "parley", "app_id": APP_ID}}
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = ADA
    return event


def channel_join(user: str = ADA, *, channel: str = CHANNEL) -> dict[str, Any]:
    ts = next_ts()
    return {"type": "message", "subtype": "channel_join", "user": user, "text": f"<@{user}> has joined the channel",
            "ts": ts, "channel": channel, "event_ts": ts, "channel_type": "channel", "inviter": GRACE}


def assistant_thread_started(*, user: str = ADA, channel: str = DM, thread_ts: str | None = None) -> dict[str, Any]:
    thread_ts = thread_ts or next_ts()
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": user, "context": {"channel_id": CHANNEL, "team_id": TEAM, "enterprise_id": None},
            "channel_id": channel, "thread_ts": thread_ts,
        },
        "event_ts": next_ts(),
    }


def slash_command(command: str, text: str, *, user: str, response_url: str, channel: str = CHANNEL,
                  channel_name: str = "general", trigger_id: str | None = None) -> dict[str, str]:
    return {
        "token": "verification-token-not-used", "team_id": TEAM, "team_domain": "parley-test",
        "channel_id": channel, "channel_name": channel_name, "user_id": user, "user_name": user.lower(),
        "command": command, "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id or f"{next(_seq)}.1234.abcdef0123456789",
    }


def view_submission(view: dict[str, Any], values: dict[str, str], *, user: str) -> dict[str, Any]:
    """A ``view_submission`` of ``view`` (as sent to views.open) with the inputs filled in."""
    state = {block: {"value": {"type": "plain_text_input", "value": value}} for block, value in values.items()}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "parley-test"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID, "token": "verification-token-not-used", "trigger_id": f"{next(_seq)}.1234.fedcba",
        "view": {**view, "id": "V0FORM", "team_id": TEAM, "app_id": APP_ID, "bot_id": BOT_ID,
                 "state": {"values": state}, "hash": "1710000000.abcdef"},
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def as_json(body: dict[str, Any]) -> str:
    return json.dumps(body)


def feedback_click(message: Any, *, positive: bool, user: str, trigger_id: str) -> dict[str, Any]:
    """The ``block_actions`` Slack sends when ``user`` clicks 👍 (``positive``) or 👎 under ``message`` (a stored
    message of the stand-in): built from the feedback_buttons the message really carries."""
    [element] = [e for block in message.blocks if block.get("type") == "context_actions"
                 for e in block["elements"] if e.get("type") == "feedback_buttons"]
    button = element["positive_button" if positive else "negative_button"]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID, "token": "verification-token-not-used", "trigger_id": trigger_id,
        "team": {"id": TEAM, "domain": "parley-test"}, "enterprise": None, "is_enterprise_install": False,
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel,
                      "is_ephemeral": False, "thread_ts": message.thread_ts},
        "channel": {"id": message.channel, "name": "general"},
        "message": {"type": "message", "ts": message.ts, "thread_ts": message.thread_ts, "text": message.fallback,
                    "blocks": message.blocks},
        "state": {"values": {}},
        "actions": [{"type": "feedback_buttons", "action_id": element.get("action_id", "x"), "block_id": "fb1",
                     "value": button["value"], "text": button["text"], "action_ts": next_ts()}],
    }


def block_actions(message: dict[str, Any], *, action_id: str, value: str, user: str, channel: str = CHANNEL) -> dict[str, Any]:
    """A ``block_actions`` payload: ``user`` pressed the button ``action_id`` of ``message`` (as the stand-in
    stored it: ts, thread_ts, text, blocks)."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": APP_ID, "token": "verification-token-not-used",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{next(_seq)}.1234.fedcba",
        "team": {"id": TEAM, "domain": "parley-test"}, "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": message["ts"],
                    "thread_ts": message.get("thread_ts"), "text": message["text"], "blocks": message["blocks"]},
        "state": {"values": {}},
        "response_url": "https://hooks.slack.com/actions/T0PARLEY/1/abc",
        "actions": [{"action_id": action_id, "block_id": "parley_tool_buttons", "text": {"type": "plain_text", "text": "x"},
                     "value": value, "type": "button", "action_ts": "1710000000.000300"}],
    }
