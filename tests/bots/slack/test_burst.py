"""A burst of mentions stays inside Slack's documented rate tiers: never a 429, every answer shown."""

from __future__ import annotations

import asyncio

from bots.slack.rate_limits import Rests
from bots.slack.users import UserDirectory
from tests.bots.slack import payloads
from tests.bots.slack.payloads import BOT_USER, CHANNEL

STREAM_TIER = 20  # chat.startStream and chat.stopStream: tier 2, about 20 calls a minute


async def test_answers_past_the_streaming_tier_are_posted_whole_without_a_429(parley, slack, llm):
    people = [f"U0ASKER{n:02d}" for n in range(STREAM_TIER + 3)]  # each within Parley's own limit per person
    for person in people:
        slack.add_user(person, name=person.lower())
    mentions = [payloads.app_mention(f"<@{BOT_USER}> question {n}", user=person) for n, person in enumerate(people)]

    statuses = await asyncio.gather(*(parley.deliver(mention) for mention in mentions))
    await parley.handled(len(mentions), timeout=15)

    assert set(statuses) == {200}
    for n, mention in enumerate(mentions):
        assert [reply.text for reply in slack.replies_in(CHANNEL, mention["ts"])] == [f"echo: question {n}"]
    assert [call.status for call in slack.calls_to("chat.startStream")] == [200] * STREAM_TIER
    assert [call.status for call in slack.calls_to("chat.stopStream")] == [200] * STREAM_TIER
    assert len(slack.calls_to("chat.postMessage")) == 3  # the rest, each posted once, complete
    assert all(call.status != 429 for call in slack.calls)


async def test_names_past_the_users_info_tier_wait_but_an_admin_check_still_asks(parley, slack):
    people = [f"U0BURST{n:03d}" for n in range(101)]
    for n, person in enumerate(people):
        slack.add_user(person, name=f"person{n}")
    slack.add_user("U0ADMIN", name="boss", is_admin=True)
    directory = UserDirectory(parley.bot.clients, rests=Rests())

    found = await asyncio.gather(*(directory.get(person, team=payloads.TEAM) for person in people))
    admin = await directory.get("U0ADMIN", team=payloads.TEAM, essential=True)

    named = [user for user in found if user.name != user.id]
    assert len(named) == 90  # users.info's tier 4 (about 100 a minute), less what is left to commands
    assert [user.id for user in found if user.name == user.id] == people[90:]  # their ids stand in
    assert admin.is_admin_in(payloads.TEAM)  # a command's admin verdict is never guessed
    assert len(slack.calls_to("users.info")) == 91 and all(c.status == 200 for c in slack.calls_to("users.info"))
