"""A stand-in Slack for tests (aiohttp on 127.0.0.1, port 0): Web API, response_url, Socket Mode.

Tests drive the *real* slack_bolt and slack_sdk against it; nothing inside
them is mocked.  It is never more lenient than Slack: for every method Parley
uses, the documented arguments, limits and errors are enforced.

    async with SlackStandIn() as slack:
        client = AsyncWebClient(token="xoxb-test-not-real", base_url=slack.base_url)
        slack.add_user("U0ADA", name="ada", is_admin=True)
        slack.fail("chat.startStream", "not_allowed_token_type")
        ...
        call = await slack.wait_for_call("chat.stopStream", timeout=5)
        assert slack.text_of(call.params["channel"], call.params["ts"]) == "the whole answer"
        assert slack.violations == [] and slack.pings == []

Web API: ``GET|POST /api/{method}``; parameters are read from the query, a
form or a JSON body (merged), the token from ``Authorization: Bearer`` (or a
``token`` parameter).  Every call is recorded as a ``SlackCall`` (with the
answer and its HTTP status).  Answered: auth.test (the team of the token: installs in ``oauth``,
with oauth.v2.access and ``approve`` for the consent page), users.info,
conversations.replies (``history``: pages, scopes, membership), chat.postMessage, chat.update, chat.postEphemeral,
chat.startStream / appendStream / stopStream, views.open, views.update,
assistant.threads.setStatus / setSuggestedPrompts / setTitle,
apps.connections.open, conversations.open (a DM with the bot: ``dm_of(user)``),
usergroups.users.list (``add_user_group``; the ``usergroups:read`` scope of the app's manifest, or
``missing_scope``; ``no_such_subteam``)
and the file upload of ``files_upload_v2``: files.getUploadURLExternal, a POST
of the bytes to the returned upload URL (``POST /upload/{file_id}``, recorded as
the pseudo-method ``"upload"``), files.completeUploadExternal; completed
uploads are kept in ``files``.  Any other method gets ``unknown_method``.

Slack's rules, by module: ``chat`` (text limits, ``streaming_state_conflict``,
ephemeral messages nobody sees, what chat.startStream requires, streams that
end by themselves after ``STREAM_LIFETIME``), ``views``
(trigger ids that expire after 3 s of the stand-in's ``clock``, Block Kit
limits), ``rate_limits`` (tiers per method, 429 with Retry-After),
``markup`` (what pings, what a reader sees of mrkdwn, what is malformed).
Broken rules that Slack accepts are kept in ``violations``; text that would
ping in ``pings``.  Messages are kept (``messages``, ``text_of``,
``replies_in``); ``add_message`` records one a person posted, so threads exist
as they do in Slack; ``unfinished_in(channel, thread_ts)`` lists the bot's
messages there that Slack shows unfinished (a stream open, or expired
unstopped).  Ephemeral messages are kept in ``ephemerals``
(``notes_for(user)``: the ones that user sees).

``fail(method, error, times=n)`` makes the next ``n`` calls (all, when None)
answer ``{"ok": false, "error": error}`` (with ``status=429``: as Slack's rate
limiting does, with ``Retry-After: 0``).  ``rate_limits.limit(method, calls=,
per=)`` sets a tighter window.  ``hold(method, calls=None)`` keeps its calls
(or only the next ``calls`` of them) waiting (``wait_for_held``) until the
returned event is set; ``most_at_once[method]``
is the most calls to a method that were in progress at one time.

``response_url()`` hands out URLs (``POST /respond/{n}``) recorded as calls to
the pseudo-method ``"response_url"``: up to 5 messages each, ``text`` at most
40,000 characters.  ``new_trigger()`` hands out a trigger_id for a delivered
command or interaction.

Socket Mode: apps.connections.open (xapp- token only) returns
``ws://127.0.0.1:P/socket``; on connect the server sends ``{"type": "hello"}``.
``send_envelope(type, payload)`` pushes an envelope to the newest connection
and returns its id; ``wait_for_ack(envelope_id)`` returns the client's ack.

``signed_headers(secret, body)`` signs a request body the way Slack does.

Modules: ``web_api`` (answering a call, ``fail``), ``chat``, ``views``,
``rate_limits``, ``markup``, ``socket_mode``, ``signing``, ``records`` (what is
kept), ``state`` (the shared state and waiting), ``server`` (``SlackStandIn``:
routes and inspection); starting and stopping is ``tests.standins.serving``.
"""

from tests.standins.slack_server.records import EphemeralMessage, SlackCall, StoredMessage, UploadedFile
from tests.standins.slack_server.server import SlackStandIn
from tests.standins.slack_server.signing import signed_headers

__all__ = ["EphemeralMessage", "SlackCall", "SlackStandIn", "StoredMessage", "UploadedFile", "signed_headers"]
