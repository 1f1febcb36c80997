"""`/parley export` on Slack: the file goes privately to the admin's DM (files_upload_v2); members are refused;
`/parley filter` works the same way as every other command."""

from __future__ import annotations

import json

from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_USER, GRACE


async def test_export_uploads_the_channels_turns_to_the_admins_dm(parley, slack, llm):
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> my mail is ada@example.com"))
    await parley.handled(1)

    await parley.command("/parley", "export", user=GRACE)
    reply = await slack.wait_for_call("response_url")

    assert reply.params["response_type"] == "ephemeral"
    assert "2 stored messages" in reply.params["text"] and "I sent you the file" in reply.params["text"]
    (upload,) = slack.files.values()
    assert upload.channel == slack.dm_of(GRACE) and upload.filename.endswith(".jsonl")
    rows = [json.loads(line) for line in upload.content.decode().splitlines()]
    assert [(r["role"], r["content"]) for r in rows] == [
        ("user", "my mail is [email]"), ("assistant", "echo: my mail is [email]")
    ]
    assert [c.method for c in slack.calls if c.method.startswith(("conversations.open", "files.", "upload"))] == [
        "conversations.open", "files.getUploadURLExternal", "upload", "files.completeUploadExternal"
    ]


async def test_a_member_cannot_export_and_nothing_is_uploaded(parley, slack):
    await parley.command("/parley", "export", user=ADA)
    reply = await slack.wait_for_call("response_url")
    assert "Only admins" in reply.params["text"] and slack.files == {}


async def test_a_refused_upload_is_said(parley, slack):
    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> hello"))
    await parley.handled(1)
    slack.fail("files.completeUploadExternal", "not_allowed")
    await parley.command("/parley", "export", user=GRACE)
    reply = await slack.wait_for_call("response_url")
    assert "couldn't send you the file" in reply.params["text"]


async def test_filter_commands_reach_the_core(parley, slack):
    await parley.command("/parley", "filter block /falcon-(\\d+/", user=GRACE)
    refused = await slack.wait_for_call("response_url")
    assert "does not compile" in refused.params["text"]
    await parley.command("/parley", "filter show", user=ADA)
    shown = await slack.wait_for_call("response_url", count=2)
    assert "PII redaction of messages: on" in shown.params["text"]
