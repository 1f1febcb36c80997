"""Where a reply is shown, as the inbox keeps it: so that another process can finish a reply after a crash.

The renderer tells the core (``ChatService.note_reply``) which Slack message
shows a reply as soon as it exists; a process that takes the message over
(``SlackRedelivery``) ends or replaces that message and answers in the same
place.  The reference is one line of at most 255 characters:

    kind:channel:ts:thread_ts:team

``kind`` is ``stream`` (a message of Slack's streaming API, whose stream may
still be open), ``post`` (a posted message, edited as the answer grew) or
``none`` (nothing shown yet: only where the reply goes, written when the
message alone cannot say it: a DM thread, or an asker from another team).
``thread_ts`` is empty for a reply at the top level; ``team`` is the asker's
team (Slack's streaming API wants it).
"""

from __future__ import annotations

from dataclasses import dataclass

from bots.slack.translate import ReplyPlace
from core.messages import IncomingMessage

STREAM = "stream"
POST = "post"
NONE = "none"
KINDS = frozenset({STREAM, POST, NONE})


@dataclass(frozen=True, slots=True)
class ReplyRef:
    kind: str
    channel: str
    ts: str = ""
    thread_ts: str = ""
    team: str = ""

    @classmethod
    def of(cls, place: ReplyPlace, *, kind: str, ts: str = "") -> "ReplyRef":
        return cls(kind=kind, channel=place.channel, ts=ts, thread_ts=place.thread_ts or "", team=place.team)

    @classmethod
    def parse(cls, text: str) -> "ReplyRef | None":
        """The reference ``encode`` wrote, or None (nothing noted, or not one of ours)."""
        parts = text.split(":")
        if len(parts) != 5 or parts[0] not in KINDS or not parts[1]:
            return None
        return cls(*parts)

    def encode(self) -> str:
        return ":".join((self.kind, self.channel, self.ts, self.thread_ts, self.team))

    @property
    def shown(self) -> bool:
        """Whether a message of the reply exists in Slack (to end or replace)."""
        return self.kind in (STREAM, POST) and bool(self.ts)


def place_of(message: IncomingMessage, ref: ReplyRef | None) -> ReplyPlace:
    """Where the reply to ``message`` goes, from what the inbox kept: the message, and its reference if any.

    Without one: a channel message's thread (``key.thread``), a DM's top level.
    """
    key = message.key
    thread_ts = (ref.thread_ts if ref is not None else key.thread) or None
    asked_in = message.event_id.partition(":")[2]  # the event id is "{channel}:{ts}"
    return ReplyPlace(
        team=(ref.team if ref is not None else "") or key.workspace, channel=key.channel, user=message.user,
        thread_ts=thread_ts, is_dm=message.is_dm,
        thread_exists=thread_ts is not None and (thread_ts != asked_in or (ref is not None and ref.shown)),
        workspace=key.workspace,
    )


def needs_noting_early(message: IncomingMessage, place: ReplyPlace) -> bool:
    """Whether the message alone would not say where its reply goes (so its place is noted before any reply)."""
    kept = place_of(message, None)
    return (kept.thread_ts, kept.team) != (place.thread_ts, place.team)
