"""Slack payloads → IncomingMessage (pure), on recorded-shape events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.slack.markup import plain_text
from bots.slack.translate import BotIdentity, Delivery, Skip, skip_of, translate_event, users_to_resolve
from core.messages import ConversationKey
from tests.bots.slack import payloads
from tests.bots.slack.payloads import ADA, BOT_ID, BOT_USER, CHANNEL, DM, GRACE, TEAM

BOT = BotIdentity(user_id=BOT_USER, bot_id=BOT_ID)
NAMES = {ADA: "ada", GRACE: "grace"}


def translate(event, *, allow_bot_messages: bool = False, names=NAMES):
    """What the adapter makes of an event: the one skip decision, then the translation."""
    skip = skip_of(event, bot=BOT, allow_bot_messages=allow_bot_messages)
    return skip if skip is not None else translate_event(event, team_id=TEAM, bot=BOT, names=names)


def test_a_mention_starts_a_thread_under_the_message():
    event = payloads.app_mention(f"<@{BOT_USER}> what did <@{GRACE}> say about &lt;html&gt; &amp; CSS?")
    result = translate(event)

    assert isinstance(result, Delivery)
    message, place = result.message, result.place
    assert message.key == ConversationKey(platform="slack", workspace=TEAM, channel=CHANNEL, thread=event["ts"])
    assert message.event_id == f"{CHANNEL}:{event['ts']}"
    assert message.text == "what did @grace say about <html> & CSS?"
    assert message.mentions_bot and not message.is_dm and not message.in_bot_thread
    assert message.user == ADA and message.user_name == "ada"
    assert message.received_at == datetime.fromtimestamp(float(event["ts"]), tz=UTC)
    assert (place.channel, place.thread_ts, place.user, place.team) == (CHANNEL, event["ts"], ADA, TEAM)
    assert not place.is_dm


def test_a_slack_connect_guest_is_answered_as_a_member_of_their_own_team():
    event = {**payloads.app_mention(f"<@{BOT_USER}> hello from outside"), "user_team": "T0GUEST", "team": "T0GUEST"}
    result = translate(event)
    assert result.place.team == "T0GUEST" and result.message.key.workspace == TEAM


def test_a_mention_inside_a_thread_belongs_to_that_thread():
    root = payloads.next_ts()
    result = translate(payloads.app_mention(f"<@{BOT_USER}> and you?", thread_ts=root))
    assert result.message.key.thread == root and result.place.thread_ts == root


def test_the_message_copy_of_a_mention_maps_to_the_same_message_and_conversation():
    mention = payloads.app_mention(f"<@{BOT_USER}> hi")
    copy = payloads.channel_message(f"<@{BOT_USER}> hi", ts=mention["ts"])
    a, b = translate(mention).message, translate(copy).message
    assert (a.event_id, a.key, a.mentions_bot, a.text) == (b.event_id, b.key, b.mentions_bot, b.text)


def test_a_thread_reply_without_a_mention_is_a_follow_up_for_the_core_to_judge():
    root = payloads.next_ts()
    result = translate(payloads.channel_message("and then?", thread_ts=root, parent_user_id=ADA))
    assert result.message.key.thread == root and result.place.thread_ts == root
    assert not result.message.mentions_bot and not result.message.in_bot_thread


def test_a_reply_in_a_thread_the_bot_started_says_so():
    result = translate(payloads.channel_message("thanks", thread_ts=payloads.next_ts(), parent_user_id=BOT_USER))
    assert result.message.in_bot_thread


def test_a_dm_is_one_conversation_answered_where_it_was_asked():
    top = translate(payloads.dm_message("hello"))
    assert top.message.key == ConversationKey(platform="slack", workspace=TEAM, channel=DM, thread="")
    assert top.message.is_dm and top.place.is_dm and top.place.thread_ts is None

    root = payloads.next_ts()
    threaded = translate(payloads.dm_message("more", thread_ts=root))
    assert threaded.message.key.thread == "" and threaded.place.thread_ts == root


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (payloads.message_changed(), "subtype"),
        (payloads.channel_join(), "subtype"),
        ({**payloads.channel_message("gone"), "subtype": "message_deleted"}, "subtype"),
        (payloads.own_message("my answer", thread_ts="1710000000.000100"), "own_message"),
        (payloads.bot_message(f"<@{BOT_USER}> deployed"), "bot_message"),
        (payloads.assistant_thread_started(), "not_a_message"),
    ],
)
def test_what_is_not_a_message_for_the_core(event, reason):
    assert translate(event) == Skip(reason)


def test_a_top_level_message_without_a_mention_goes_to_the_core_gate_as_its_own_thread():
    event = payloads.channel_message("lunch, anyone?")
    delivery = translate(event)
    assert isinstance(delivery, Delivery) and delivery.message.top_level and not delivery.message.mentions_bot
    assert delivery.message.key.thread == event["ts"] == delivery.place.thread_ts  # answered (if at all) in a thread
    reply = translate(payloads.channel_message("sure", thread_ts=event["ts"]))
    assert not reply.message.top_level


def test_other_bots_are_answered_when_allowed_but_never_the_bot_itself():
    allowed = translate(payloads.bot_message(f"<@{BOT_USER}> deployed", bot_id="B0DEPLOY"), allow_bot_messages=True)
    assert isinstance(allowed, Delivery) and allowed.message.user == "B0DEPLOY"
    assert allowed.message.user_name == "deploybot" and allowed.message.text == "deployed"
    own = translate(payloads.own_message(f"<@{BOT_USER}> me"), allow_bot_messages=True)
    assert own == Skip("own_message")


def test_thread_broadcasts_and_file_shares_are_still_messages():
    root = payloads.next_ts()
    broadcast = {**payloads.channel_message("also to the channel", thread_ts=root), "subtype": "thread_broadcast"}
    assert isinstance(translate(broadcast), Delivery)
    shared = {**payloads.app_mention(f"<@{BOT_USER}> look at this file"), "subtype": "file_share"}
    assert translate(shared).message.text == "look at this file"


def test_names_to_look_up_are_the_sender_and_the_mentioned_users_but_not_the_bot():
    event = payloads.app_mention(f"<@{BOT_USER}> ask <@{GRACE}> and <@{ADA}>")
    assert users_to_resolve(event, bot=BOT) == [ADA, GRACE]


def test_unknown_names_fall_back_to_the_label_or_the_id():
    text = f"<@{BOT_USER}|parley> ping <@U0NOBODY> and <@U0LABEL|lab>"
    assert plain_text(text, bot_user_id=BOT_USER, names={}) == "ping @U0NOBODY and @lab"


def test_channel_links_and_special_mentions_become_readable():
    text = "see <#C0DEV|dev>, <https://example.com|the docs>, <https://x.org> and <!here>; 3 &lt; 4"
    assert plain_text(text, bot_user_id=BOT_USER, names={}) == (
        "see #dev, the docs (https://example.com), https://x.org and @here; 3 < 4"
    )


def test_the_mention_is_stripped_without_touching_code_indentation():
    text = f"<@{BOT_USER}> fix this:\n```\ndef f():\n    return  1\n```"
    assert plain_text(text, bot_user_id=BOT_USER, names={}) == "fix this:\n```\ndef f():\n    return  1\n```"
