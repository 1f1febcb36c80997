"""The admin contract every feature's commands follow.

A command handler is ``async (actor, args) -> CommandReply``: it parses its
own arguments (the rest of the line after its subcommand), checks who may do
it (``AdminPolicy``), does it, writes the audit log (``record_change``) and
returns the reply.  An expected refusal raises ``AdminError`` (or a subclass)
whose text is shown as is; ``core/commands.py`` routes each ``/persona …`` and
``/parley <sub>`` line to its handler and turns refusals into replies.

Reply texts are plain Markdown as Discord and Slack's ``markdown_text`` read
it (``**bold**``, `` `code` ``, ``>>>`` quotes); an adapter that sends Slack's
older mrkdwn converts the bold (``bots/slack/texts.py: mrkdwn``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from core.messages import ChannelScope, WorkspaceScope
from core.personas.values import PersonaForm
from core.ports import AuditLog, Clock
from core.records import AuditEntry

log = structlog.get_logger(__name__)

AUDIT_TARGET_MAX = 255  # the audit_log.target column


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an admin call, where they are, and what the platform says of them.

    ``is_admin`` is the platform's verdict (Slack workspace admin, Discord
    Manage Server); PARLEY_ADMINS are admins on top of that.
    """

    platform: str
    workspace: str
    channel: str
    user: str
    is_admin: bool = False
    is_dm: bool = False
    thread: str = ""  # a command typed in a thread (Discord): the thread's id

    @property
    def workspace_scope(self) -> WorkspaceScope:
        return WorkspaceScope(platform=self.platform, workspace=self.workspace)

    @property
    def channel_scope(self) -> ChannelScope:
        return ChannelScope(platform=self.platform, workspace=self.workspace, channel=self.channel)


@dataclass(frozen=True, slots=True)
class CommandFile:
    """A file for the adapter to deliver privately to the person who asked (e.g. a DM upload)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    """What a command answers: text (private by default), or a form to open, or a file to deliver."""

    text: str
    ephemeral: bool = True
    form: PersonaForm | None = None
    ok: bool = True
    file: CommandFile | None = None
    share: str = ""  # text the person may choose to post in the channel for everyone (a button), e.g. a summary


CommandHandler = Callable[["Actor", str], Awaitable[CommandReply]]
"""``handler(actor, args)``: one subcommand, with the rest of its line; raises AdminError to refuse."""


def problem(text: str) -> CommandReply:
    """A refusal or a usage hint, as a reply."""
    return CommandReply(text, ok=False)


def where(actor: Actor) -> str:
    """"conversation" in a DM, "channel" elsewhere: for reply texts."""
    return "conversation" if actor.is_dm else "channel"


class AdminError(Exception):
    """An expected refusal of an admin action; ``str(error)`` is the user-facing text."""


class NotPermitted(AdminError):
    pass


class NotFound(AdminError):
    pass


class Conflict(AdminError):
    pass


class AdminPolicy:
    def __init__(self, *, admins: frozenset[str] = frozenset()) -> None:
        self._admins = admins

    def is_admin(self, actor: Actor) -> bool:
        return actor.is_admin or actor.user in self._admins

    def require_admin(self, actor: Actor, *, doing: str) -> None:
        if not self.is_admin(actor):
            raise NotPermitted(f"Only admins can {doing}.")

    def require_channel_admin(self, actor: Actor, *, doing: str) -> None:
        """Admins anywhere; in a DM the person in it decides for that DM alone."""
        if not (actor.is_dm or self.is_admin(actor)):
            raise NotPermitted(f"Only admins can {doing} in a channel.")


async def record_change(
    audit: AuditLog, *, clock: Clock, actor: Actor, action: str, target: str, before=None, after=None
) -> None:
    """Write one admin change to the audit log (who, when, before, after) and log that it happened."""
    await audit.record(
        AuditEntry(
            platform=actor.platform, workspace=actor.workspace, actor=actor.user, action=action,
            target=target[:AUDIT_TARGET_MAX], before=before, after=after, created_at=clock.now(),
        )
    )
    log.info("admin.changed", action=action, target=target[:AUDIT_TARGET_MAX], actor=actor.user)
