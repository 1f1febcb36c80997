"""The values that cross the core's boundary: what comes in and what goes out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Where a conversation lives.

    In a channel each thread is one conversation (``thread`` is the thread's
    root id); a DM is one conversation (``thread`` is ``""``).  Memory settings
    (reset, retention, persona) belong to the channel: ``channel_scope()``.
    """

    platform: str
    workspace: str
    channel: str
    thread: str = ""

    def channel_scope(self) -> "ChannelScope":
        return ChannelScope(platform=self.platform, workspace=self.workspace, channel=self.channel)


@dataclass(frozen=True, slots=True)
class ChannelScope:
    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True, slots=True)
class WorkspaceScope:
    platform: str
    workspace: str


NO_WORKSPACE = "dm"
"""The workspace of a DM that belongs to no workspace (Discord's DMs): its memory and personas are shared
by every such DM, but its rate limits and budgets are the person's own (``IncomingMessage.billed_workspace``)."""


def billed_workspace(workspace: str, *, user: str) -> str:
    """``workspace``, or for a DM outside any workspace the sender's own (``dm:<user>``)."""
    return f"{NO_WORKSPACE}:{user}" if workspace == NO_WORKSPACE else workspace


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message, as the platform describes it (nothing is downloaded yet).

    ``ref`` is how the adapter fetches it (Slack: the file's ``url_private``; Discord: the attachment's CDN
    URL); only the adapter's ``AttachmentFetcher`` reads it, and only from the platform's own host.
    """

    name: str
    mime_type: str
    size: int
    ref: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A platform-neutral user message, as an adapter hands it to the core.

    ``event_id`` identifies the *message* (not one delivery of it), so that a
    platform's retries and double deliveries collapse into one answer.
    ``text`` has the bot's own mention markup already stripped.
    ``in_bot_thread`` lets an adapter say what it knows of the thread (e.g. a
    Discord thread the bot created); the core also checks its own memory.
    ``sender_is_admin`` is the platform's verdict where the adapter has it
    cheaply; PARLEY_ADMINS are known to the core.
    """

    event_id: str
    key: ConversationKey
    user: str
    text: str
    is_dm: bool = False
    mentions_bot: bool = False
    in_bot_thread: bool = False
    sender_is_admin: bool = False  # the platform says the sender is an admin (for limit exemptions)
    user_name: str = ""
    received_at: datetime | None = None
    top_level: bool = False  # a channel message in no thread (an ``always`` channel answers it in a new thread)
    groups: frozenset[str] = frozenset()  # the sender's Slack user groups / Discord roles, for access rules
    attachments: tuple[Attachment, ...] = ()  # the files of the message itself (core/files reads them)

    @property
    def billed_workspace(self) -> str:
        """The workspace whose rate limits and budgets this message counts against.

        A DM outside any workspace counts as the sender's own (``dm:<user>``): one person at
        their limit cannot starve everybody else's DMs.
        """
        return billed_workspace(self.key.workspace, user=self.user)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True, slots=True)
class TextDelta:
    """One streamed piece of the answer, in order."""

    text: str


class OutcomeKind(enum.StrEnum):
    ANSWERED = "answered"
    IGNORED = "ignored"  # not for the bot (gate), or a duplicate delivery: show nothing
    INVALID = "invalid"  # bad input: empty, too long
    LIMITED = "limited"  # rate limit or budget; see retry_after
    BLOCKED = "blocked"  # a content filter refused
    FAILED = "failed"  # the LLM or the infrastructure failed after retries
    DENIED = "denied"  # the access rules refuse this person or place: one short line, shown privately


REFUSALS = frozenset(
    {OutcomeKind.INVALID, OutcomeKind.LIMITED, OutcomeKind.BLOCKED, OutcomeKind.FAILED, OutcomeKind.DENIED}
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How handling one message ended: always the last item of a reply stream.

    ``text`` is what the user should see: the full answer for ANSWERED, the
    short refusal for the refusal kinds, empty for IGNORED.  ``notices`` are
    footer lines (e.g. "older messages were summarised").
    """

    kind: OutcomeKind
    text: str = ""
    reason: str = ""
    retry_after: float | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)
    usage: Usage | None = None
    persona: str = ""

    @property
    def is_refusal(self) -> bool:
        return self.kind in REFUSALS


ReplyEvent = TextDelta | Outcome
