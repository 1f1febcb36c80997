"""Thread context on Slack: the real bolt app and slack_sdk read a thread through conversations.replies."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient
from structlog.testing import capture_logs

from bots.slack.clients import SlackClients
from bots.slack.history import SlackHistory
from bots.slack.rate_limits import Rests
from bots.slack.users import UserDirectory
from core.messages import ConversationKey, IncomingMessage
from tests.bots.slack import payloads
from tests.bots.slack.conftest import BOT_TOKEN
from tests.bots.slack.payloads import ADA, BOT_USER, CHANNEL, GRACE, TEAM

THREAD_SAYS = [
    (ADA, "the release is blocked on the migration"),
    (GRACE, "which one?"),
    (ADA, "the one that renames the turns table"),
    (GRACE, "I can review it after lunch"),
    (ADA, "great, then we ship tomorrow"),
]


def post_thread(slack, says) -> str:
    """People's messages in a thread Parley is not part of (the first one starts it); the thread's ts."""
    root = payloads.next_ts()
    for index, (user, text) in enumerate(says):
        ts = root if index == 0 else payloads.next_ts()
        slack.add_message(CHANNEL, ts, text, user=user, thread_ts=None if index == 0 else root)
    return root


def non_system(request) -> list[dict]:
    return [m for m in request.json["messages"] if m["role"] != "system"]


async def test_a_mention_in_a_thread_carries_the_earlier_messages_in_order_with_names(parley, slack, llm):
    root = post_thread(slack, THREAD_SAYS)
    slack.add_bot_message(CHANNEL, payloads.next_ts(), "build 812 passed", bot_id="B0CI", username="ci", thread_ts=root)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> so when do we ship?", thread_ts=root))
    await parley.handled(1)

    (request,) = llm.chat_requests
    assert non_system(request) == [
        {"role": "user", "content": "[ada] the release is blocked on the migration"},
        {"role": "user", "content": "[grace] which one?"},
        {"role": "user", "content": "[ada] the one that renames the turns table"},
        {"role": "user", "content": "[grace] I can review it after lunch"},
        {"role": "user", "content": "[ada] great, then we ship tomorrow"},
        {"role": "user", "content": "[ci (a bot)] build 812 passed"},
        {"role": "user", "content": "so when do we ship?"},
    ]
    (read,) = slack.calls_to("conversations.replies")
    assert read.params["channel"] == CHANNEL and read.params["ts"] == root


async def test_personal_details_in_an_earlier_message_are_redacted(parley, slack, llm):
    root = post_thread(slack, [(ADA, "mail me at ada.lovelace@example.com please"), (GRACE, "will do")])

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> what did Ada ask?", thread_ts=root))
    await parley.handled(1)

    contents = [m["content"] for m in non_system(llm.chat_requests[0])]
    assert contents[0] == "[ada] mail me at [email] please"
    assert "example.com" not in str(llm.chat_requests[0].json)


async def test_without_the_history_scope_the_answer_comes_without_context_and_the_log_says_why(parley, slack, llm):
    root = post_thread(slack, THREAD_SAYS)
    slack.revoke_scope("channels:history")

    with capture_logs() as logs:
        await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> so when do we ship?", thread_ts=root))
        await parley.handled(1)

    assert non_system(llm.chat_requests[0]) == [{"role": "user", "content": "so when do we ship?"}]
    await slack.wait_for_call("chat.stopStream")  # answered all the same
    (missing,) = [e for e in logs if e["event"] == "slack.history_missing_scope"]
    assert missing["needed"] == "channels:history"


async def test_a_long_thread_is_read_a_page_at_a_time_and_only_the_newest_kept(slack):
    root = post_thread(slack, [(ADA, f"note {i}") for i in range(7)])
    asked = payloads.next_ts()
    slack.add_message(CHANNEL, asked, "and?", user=GRACE, thread_ts=root)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    history = SlackHistory(SlackClients(client), users=UserDirectory(SlackClients(client)), rests=Rests(), page_size=3)
    message = IncomingMessage(
        event_id=f"{CHANNEL}:{asked}", key=ConversationKey("slack", TEAM, CHANNEL, root), user=GRACE, text="and?",
        mentions_bot=True,
    )

    read = await history.read(message, after=None, limit=4, max_chars=10_000)

    assert [m.text for m in read.messages] == ["note 3", "note 4", "note 5", "note 6"]
    assert read.more and read.through == asked
    calls = slack.calls_to("conversations.replies")
    assert [c.params.get("cursor") is not None for c in calls] == [False, True, True]
    assert all(c.params["limit"] == "3" and c.params["latest"] == asked for c in calls)

    note_4 = read.messages[1].id
    newer = await history.read(message, after=note_4, limit=4, max_chars=10_000)
    assert [m.text for m in newer.messages] == ["note 5", "note 6"] and not newer.more  # only what came after
    assert slack.calls_to("conversations.replies")[-1].params["oldest"] == note_4


async def test_a_top_level_mention_gets_the_channel_messages_the_persona_asks_for(parley, slack, llm):
    await parley.command("/persona", "create watcher channel_context=2 You watch the channel.", user=GRACE)
    await slack.wait_for_call("response_url")
    await parley.command("/persona", "use watcher", user=GRACE)
    await slack.wait_for_call("response_url", count=2)
    for user, text in [(ADA, "lunch at noon?"), (GRACE, "the build is red"), (ADA, "since the merge")]:
        slack.add_message(CHANNEL, payloads.next_ts(), text, user=user)

    await parley.deliver(payloads.app_mention(f"<@{BOT_USER}> why is it red?"))
    await parley.handled(3)

    assert non_system(llm.chat_requests[-1]) == [
        {"role": "user", "content": "[grace] the build is red"},
        {"role": "user", "content": "[ada] since the merge"},
        {"role": "user", "content": "why is it red?"},
    ]
    (read,) = slack.calls_to("conversations.history")
    assert read.params["limit"] == "2" and not slack.calls_to("conversations.replies")


async def test_outside_the_channel_or_for_a_thread_that_is_gone_the_read_says_why(slack):
    root = post_thread(slack, [(ADA, "hello")])
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    history = SlackHistory(SlackClients(client), users=UserDirectory(SlackClients(client)), rests=Rests())

    def mention_in(thread: str) -> IncomingMessage:
        asked = payloads.next_ts()
        return IncomingMessage(event_id=f"{CHANNEL}:{asked}", key=ConversationKey("slack", TEAM, CHANNEL, thread),
                               user=GRACE, text="?", mentions_bot=True)

    gone = await history.read(mention_in("1700000000.000001"), after=None, limit=5, max_chars=1_000)
    slack.leave_channel(CHANNEL)
    outside = await history.read(mention_in(root), after=None, limit=5, max_chars=1_000)

    assert (gone.unavailable, outside.unavailable) == ("thread_not_found", "not_in_channel")
    assert gone.messages == outside.messages == ()
