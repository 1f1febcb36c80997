"""Payload → IncomingMessage, pure: recorded-shape gateway payloads, no connection."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bots.discord.places import Place, actor_from
from bots.discord.translate import Delivery, Skip, facts_from_payload, thread_name, translate
from core.messages import ConversationKey
from tests.bots.discord.payloads import (
    ALICE_ID, BOT_ID, DIRECT_MESSAGE, GENERAL_ID, GUILD_ID, GUILD_MENTION, MODERATORS_ID, THREAD_FOLLOW_UP,
    THREAD_ID, variant,
)

IN_GENERAL = Place(guild_id=GUILD_ID, channel_id=GENERAL_ID, can_start_threads=True)
IN_BOT_THREAD = Place(guild_id=GUILD_ID, channel_id=THREAD_ID, parent_id=GENERAL_ID, thread_owner_id=BOT_ID)
IN_DM = Place(guild_id=None, channel_id=1600000000000000001)
NAMES = {"role_names": {MODERATORS_ID: "Moderators"}, "channel_names": {GENERAL_ID: "general"}}


def delivered(payload, place, **options) -> Delivery:
    result = translate(facts_from_payload(payload, place=place, **NAMES), bot_id=BOT_ID, **options)
    assert isinstance(result, Delivery), result
    return result


def test_a_mention_in_a_text_channel_starts_a_thread_keyed_by_the_message():
    delivery = delivered(GUILD_MENTION, IN_GENERAL)
    message = delivery.message
    assert message.key == ConversationKey("discord", str(GUILD_ID), str(GENERAL_ID), GUILD_MENTION["id"])
    assert message.event_id == GUILD_MENTION["id"]
    assert message.mentions_bot and not message.is_dm and not message.in_bot_thread
    assert message.user == str(ALICE_ID) and message.user_name == "Ally"  # the member's nick
    assert message.received_at == datetime(2025, 3, 14, 15, 9, 26, 535000, tzinfo=timezone.utc)
    assert delivery.start_thread and not delivery.reply_in_channel and delivery.expects_answer


def test_mentions_are_stripped_for_the_bot_and_named_for_everyone_else():
    text = delivered(GUILD_MENTION, IN_GENERAL).message.text
    assert text == "ask @Bobby and @Moderators about #general please"


@pytest.mark.parametrize("markup", [f"<@{BOT_ID}>", f"<@!{BOT_ID}>"])
def test_both_forms_of_the_bot_mention_are_stripped_anywhere(markup):
    payload = variant(GUILD_MENTION, content=f"hey {markup} what is up {markup}")
    assert delivered(payload, IN_GENERAL).message.text == "hey what is up"


def test_unknown_mentions_are_left_as_they_are():
    payload = variant(GUILD_MENTION, content=f"<@{BOT_ID}> ask <@42> in <#43> and <@&44>")
    assert delivered(payload, IN_GENERAL).message.text == "ask <@42> in <#43> and <@&44>"


def test_the_thread_is_named_from_the_first_words():
    assert delivered(GUILD_MENTION, IN_GENERAL).thread_name == "ask @Bobby and @Moderators about #general please"
    assert thread_name("```python\nprint('hi')``` **why** does this fail") == "python print('hi') why does this fail"
    long = thread_name(" ".join(["supercalifragilistic"] * 8))
    assert len(long) <= 100 and long.startswith("supercalifragilistic")
    assert thread_name("x" * 300) == "x" * 99 + "…"
    assert thread_name("   ") == "Parley"


def test_where_no_thread_can_be_started_a_mention_is_answered_as_a_reply():
    voice_text = Place(guild_id=GUILD_ID, channel_id=GENERAL_ID, can_start_threads=False)
    delivery = delivered(GUILD_MENTION, voice_text)
    assert delivery.reply_in_channel and not delivery.start_thread
    assert delivery.message.key.thread == GUILD_MENTION["id"]  # the same key either way


def test_a_message_in_a_thread_belongs_to_the_parent_channels_memory():
    delivery = delivered(THREAD_FOLLOW_UP, IN_BOT_THREAD)
    message = delivery.message
    assert message.key == ConversationKey("discord", str(GUILD_ID), str(GENERAL_ID), str(THREAD_ID))
    assert message.in_bot_thread and not message.mentions_bot
    assert not delivery.start_thread and not delivery.reply_in_channel and delivery.expects_answer


def test_in_someone_elses_thread_the_core_decides_from_memory():
    theirs = Place(guild_id=GUILD_ID, channel_id=THREAD_ID, parent_id=GENERAL_ID, thread_owner_id=ALICE_ID)
    delivery = delivered(THREAD_FOLLOW_UP, theirs)
    assert not delivery.message.in_bot_thread and not delivery.expects_answer
    assert delivery.message.key.thread == str(THREAD_ID)


def test_a_channel_message_without_a_mention_goes_to_the_core_gate_as_its_own_thread():
    payload = variant(GUILD_MENTION, content="just chatting", mentions=[], member={"roles": ["1400000000000000001"]})
    delivery = delivered(payload, IN_GENERAL)
    assert delivery.message.key.thread == payload["id"] and not delivery.message.mentions_bot
    assert delivery.message.top_level and delivery.message.groups == frozenset({"1400000000000000001"})
    assert delivery.start_thread and not delivery.expects_answer  # a thread only if the core's gate lets it in


def test_a_dm_is_one_conversation_in_workspace_dm():
    delivery = delivered(DIRECT_MESSAGE, IN_DM)
    message = delivery.message
    assert message.key == ConversationKey("discord", "dm", "1600000000000000001", "")
    assert message.is_dm and message.text == "hello in private" and message.user_name == "Alice"
    assert not delivery.start_thread and delivery.expects_answer


@pytest.mark.parametrize(
    ("payload", "allow_bots", "reason"),
    [
        (variant(GUILD_MENTION, author={"id": str(BOT_ID), "username": "parley", "bot": True}), True, "own_message"),
        (variant(GUILD_MENTION, author={"id": "77", "username": "helper", "bot": True}), False, "bot_author"),
        (variant(GUILD_MENTION, webhook_id="78"), False, "bot_author"),
        (variant(GUILD_MENTION, type=7), False, "system_message"),  # a member joined
        (variant(GUILD_MENTION, type=18), False, "system_message"),  # a thread was created
        (variant(GUILD_MENTION, type=21), False, "system_message"),  # a thread's starter message
    ],
)
def test_what_never_reaches_the_core(payload, allow_bots, reason):
    result = translate(facts_from_payload(payload, place=IN_GENERAL), bot_id=BOT_ID, allow_bots=allow_bots)
    assert result == Skip(reason)


def test_other_bots_are_answered_when_allowed_and_replies_count_as_messages():
    helper = variant(GUILD_MENTION, author={"id": "77", "username": "helper", "bot": True})
    assert delivered(helper, IN_GENERAL, allow_bots=True).message.user == "77"
    reply = variant(GUILD_MENTION, type=19, message_reference={"message_id": "1", "channel_id": str(GENERAL_ID)})
    assert delivered(reply, IN_GENERAL).message.mentions_bot


def test_actors_hold_the_channel_whose_memory_applies():
    admin = actor_from(IN_BOT_THREAD, user_id=ALICE_ID, manages_guild=True)
    assert (admin.workspace, admin.channel, admin.user) == (str(GUILD_ID), str(GENERAL_ID), str(ALICE_ID))
    assert admin.is_admin and not admin.is_dm
    in_dm = actor_from(IN_DM, user_id=ALICE_ID, manages_guild=True)
    assert in_dm.workspace == "dm" and in_dm.is_dm and not in_dm.is_admin
