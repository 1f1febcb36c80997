"""The chat commands, the same on Slack, Discord and the terminal: a table from each line to its handler.

``/persona …`` goes to the personas feature; ``/parley <sub> …`` to the
feature that owns ``<sub>``.  Every handler follows one contract
(``core/admin.py``): ``async (actor, args) -> CommandReply``, parsing its own
arguments and raising ``AdminError`` to refuse; this module only routes and
turns refusals into replies.  Platforms with forms (Slack and Discord modals)
open one when a reply carries ``form`` and submit it to
``submit_persona_form``; a reply with a ``file`` (``/parley export``) is
delivered privately to the person who asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from core.admin import Actor, AdminError, CommandHandler, CommandReply, problem
from core.chat.input_text import valid_text
from core.limits.workspaces import NOT_ALLOWED_TEXT, WorkspaceAllowlist
from core.personas.admin import PERSONA_HELP, PersonaAdmin, invalid_text
from core.personas.values import PersonaInvalid

PARLEY_HELP = (
    "`/parley help` · `/parley reset` (forget this channel's conversations) · `/parley usage` "
    "(yours; admins also see the workspace's) · `/parley forget-me` (delete everything you said) · "
    "`/parley retention <days|off>` · `/parley memory <on|off>` · `/parley export` (this channel's stored "
    "messages, as a file sent to you) · `/parley limits show | set <user|channel|workspace> <limit> | "
    "clear <user|channel|workspace>` · `/parley filter show | set <pii|blocklist|moderation> "
    "<on|off|block|redact|flag> | block <pattern> | unblock <pattern> | log`"
    " · `/parley feedback` (admins: 👍 / 👎 by persona and model, latest comments)"
    " · `/parley access show | "
    "allow <user|group|role|channel> <id…> | deny <user|group|role|channel> <id…> | remove <…> <id…> | clear` · "
    "`/parley summon show | <mention|always|off> | threads <auto|mention>` · `/parley model [name|default]` "
    "(pick one of the persona's models for yourself here)"
    " · `/parley tools` (the tool servers) · `/parley tools log` (admins: the latest tool calls)"
    " · `/parley summarize [hours]` "
    "(this channel's last hours, default 24, just for you; on Discord typed in a thread: that thread) · "
    "mention me with `summarize` in a thread to summarise it there"
)
HELP_TEXT = (
    "**Talk to me** by mentioning me in a channel (I answer in a thread; follow-ups in that thread need "
    "no mention; a channel set to `always` needs no mention at all) or in a direct message.\n**Personas:** " + PERSONA_HELP + "\n**Parley:** " + PARLEY_HELP
)
_COMMAND_LINE = re.compile(r"^/(\w[\w-]*)\s*(.*)$", re.DOTALL)


def split_command_line(line: str) -> tuple[str, str] | None:
    """``"/persona use pirate"`` → ``("persona", "use pirate")``; None if not a command."""
    match = _COMMAND_LINE.match(line.strip())
    return (match.group(1).lower(), match.group(2).strip()) if match else None


async def help_command(actor: Actor, args: str) -> CommandReply:
    return CommandReply(HELP_TEXT)


class CommandRouter:
    """``/persona …`` → ``personas.command``; ``/parley <sub> …`` → ``parley[sub]``."""

    def __init__(
        self, *, personas: PersonaAdmin, parley: Mapping[str, CommandHandler], workspaces: WorkspaceAllowlist
    ) -> None:
        self._personas = personas
        self._workspaces = workspaces
        self._parley = {"": help_command, "help": help_command, **parley}

    async def run(self, actor: Actor, command: str, args: str = "") -> CommandReply:
        command, args = valid_text(command).lstrip("/").lower(), valid_text(args)
        if not self._workspaces.permits(actor.workspace):
            return problem(NOT_ALLOWED_TEXT)
        try:
            if command == "persona":
                return await self._personas.command(actor, args)
            if command == "parley":
                sub, _, rest = args.strip().partition(" ")
                handler = self._parley.get(sub.lower())
                if handler is None:
                    return problem(f"Unknown command `/parley {sub.lower()}`. " + PARLEY_HELP)
                return await handler(actor, rest.strip())
            return problem(f"Unknown command `/{command}`. Try `/parley help`.")
        except PersonaInvalid as invalid:
            return problem(invalid_text(invalid))
        except AdminError as refusal:
            return problem(str(refusal))

    async def submit_persona_form(self, actor: Actor, *, editing: str | None, fields: Mapping[str, str]) -> CommandReply:
        """Create (``editing`` None) or update a persona from form fields; raises PersonaInvalid."""
        fields = {name: valid_text(value) for name, value in fields.items()}
        return await self._personas.submit_form(actor, editing=editing, fields=fields)
