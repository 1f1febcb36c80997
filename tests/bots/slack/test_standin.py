"""The stand-in Slack enforces what Slack enforces (checked through the real slack_sdk client)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.bots.slack.payloads import ADA, CHANNEL, DM, TEAM


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test-not-real", base_url=slack.base_url)


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as refused:
        await call
    return refused.value.response["error"]


async def test_start_stream_outside_a_dm_needs_the_recipient(client):
    assert await error_of(client.chat_startStream(channel=CHANNEL, thread_ts="1.2")) == "missing_recipient_team_id"
    assert await error_of(client.chat_startStream(channel=CHANNEL, thread_ts="1.2", recipient_team_id=TEAM)) == (
        "missing_recipient_user_id"
    )
    assert (await client.chat_startStream(channel=DM, thread_ts="1.2"))["ok"]


async def test_a_streaming_message_cannot_be_edited_until_its_stream_stops(client):
    started = await client.chat_startStream(channel=DM, thread_ts="1.2", markdown_text="half")
    edit = client.chat_update(channel=DM, ts=started["ts"], markdown_text="whole")
    assert await error_of(edit) == "streaming_state_conflict"
    await client.chat_stopStream(channel=DM, ts=started["ts"])
    assert (await client.chat_update(channel=DM, ts=started["ts"], markdown_text="whole"))["ok"]


async def test_a_stream_nobody_stops_ends_by_itself_and_only_an_edit_mends_it(client, slack, slack_clock):
    started = await client.chat_startStream(channel=DM, thread_ts="1.2", markdown_text="half an ans")
    slack_clock.advance(299)
    assert (await client.chat_appendStream(channel=DM, ts=started["ts"], markdown_text="wer"))["ok"]
    slack_clock.advance(1)  # about 5 minutes after it started: Slack has ended it, unstopped
    assert [m.ts for m in slack.unfinished_in(DM, "1.2")] == [started["ts"]]
    assert await error_of(client.chat_appendStream(channel=DM, ts=started["ts"], markdown_text=".")) == (
        "message_not_in_streaming_state"
    )
    assert await error_of(client.chat_stopStream(channel=DM, ts=started["ts"])) == "message_not_in_streaming_state"
    assert (await client.chat_update(channel=DM, ts=started["ts"], markdown_text="(interrupted)"))["ok"]
    assert slack.unfinished_in(DM, "1.2") == [] and slack.text_of(DM, started["ts"]) == "(interrupted)"


async def test_an_ephemeral_note_in_a_thread_without_replies_is_seen_by_nobody(client, slack):
    await client.chat_postEphemeral(channel=CHANNEL, user=ADA, thread_ts="1.2", markdown_text="hello?")
    assert slack.notes_for(ADA) == [] and slack.violations
    slack.add_message(CHANNEL, "1.3", "a reply", user=ADA, thread_ts="1.2")
    await client.chat_postEphemeral(channel=CHANNEL, user=ADA, thread_ts="1.2", markdown_text="now?")
    assert slack.notes_for(ADA) == ["now?"]
    slack.forget_findings()


async def test_text_limits_pings_and_mrkdwn(client, slack):
    assert await error_of(client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)) == "msg_too_long"
    assert await error_of(client.chat_postMessage(channel=CHANNEL, markdown_text="x" * 12_001)) == "msg_too_long"
    await client.chat_postMessage(channel=CHANNEL, text="x" * 4_001)
    await client.chat_postMessage(channel=CHANNEL, text="see <days|off> & <!here>")
    assert len(slack.violations) == 3 and [mention for _, mention in slack.pings] == ["<!here>"]
    slack.forget_findings()


async def test_a_429_says_when_to_retry_and_a_call_inside_it_is_a_violation(client, slack, slack_clock):
    slack.rate_limits.limit("users.info", calls=1, per=60)
    await client.users_info(user=ADA)
    with pytest.raises(SlackApiError) as limited:
        await client.users_info(user=ADA)
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "60"
    slack_clock.advance(30)
    await error_of(client.users_info(user=ADA))
    assert slack.violations == ["users.info called again 30.0 s before its Retry-After had passed"]
    slack_clock.advance(31)
    assert (await client.users_info(user=ADA))["ok"]
    slack.forget_findings()


async def test_a_trigger_id_works_once_and_for_three_seconds(client, slack, slack_clock):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "A title"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    fresh, stale = slack.new_trigger(), slack.new_trigger()
    assert (await client.views_open(trigger_id=fresh, view=view))["ok"]
    assert await error_of(client.views_open(trigger_id=fresh, view=view)) == "exchanged_trigger_id"
    slack_clock.advance(3.1)
    assert await error_of(client.views_open(trigger_id=stale, view=view)) == "expired_trigger_id"
    assert await error_of(client.views_open(trigger_id="1.2.3", view=view)) == "invalid_trigger_id"


async def test_a_view_over_block_kit_limits_is_invalid_arguments(client, slack):
    long_title = {"type": "modal", "title": {"type": "plain_text", "text": "A title that is far too long"},
                  "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id=slack.new_trigger(), view=long_title)
    assert refused.value.response["error"] == "invalid_arguments"
    assert "/view/title/text" in refused.value.response["response_metadata"]["messages"][0]
    overfull = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "submit": {"type": "plain_text", "text": "Go"},
                "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "Model"},
                            "element": {"type": "plain_text_input", "action_id": "v", "max_length": 5,
                                        "initial_value": "too long"}}]}
    assert await error_of(client.views_open(trigger_id=slack.new_trigger(), view=overfull)) == "invalid_arguments"
