"""``/persona`` and ``/parley`` as Discord application command groups → the core's CommandRouter.

Discord lets only top-level commands carry default member permissions, so
``default_permissions(manage_guild=True)`` would hide a whole group from
non-admins, including ``/persona list|show`` and ``/parley help|usage|forget-me``,
which everyone may use (in a DM, persona and memory changes are the user's
own).  So the groups carry none; changing subcommands are refused at run time
by the core for members without Manage Server (or PARLEY_ADMINS), and server
owners can still narrow either command in Server Settings → Integrations.
"""

# No `from __future__ import annotations`: discord.py reads these signatures to build the options.
from dataclasses import replace
from typing import Literal, Optional

import discord
from discord import app_commands

from bots.discord.apology import apologise
from bots.discord.forms import PersonaForm
from bots.discord.interaction_reply import reply_in_time
from bots.discord.history import DiscordHistory
from bots.discord.places import Place, actor_from, place_of
from bots.discord.texts import (
    COMMAND_FAILED, FORM_FIELD_TOO_LONG, NOT_IN_A_THREAD, PARLEY_DESCRIPTION, PERSONA_DESCRIPTION, SUMMARIZE_THREAD_MENU,
)
from core.admin import Actor, CommandReply
from core.commands import CommandRouter


def actor_of(interaction: discord.Interaction) -> Actor:
    """Who runs a command, where: admins have Manage Server as Discord resolved it for this interaction."""
    place = place_of(interaction.channel) or Place(guild_id=interaction.guild_id, channel_id=interaction.channel_id or 0)
    return actor_from(place, user_id=interaction.user.id, manages_guild=interaction.permissions.manage_guild)


class _RouterGroup(app_commands.Group):
    command_word = ""

    def __init__(self, *, router: CommandRouter, history: DiscordHistory | None = None) -> None:
        super().__init__()
        self._router = router
        self._history = history

    async def run(self, interaction: discord.Interaction, args: str) -> None:
        work = self._router.run(actor_of(interaction), self.command_word, args)
        await reply_in_time(interaction, work, open_form=self._form)

    def _form(self, reply: CommandReply) -> discord.ui.Modal | CommandReply:
        """The persona form the core asks for, or a reply saying why it cannot hold this persona."""
        assert reply.form is not None
        persona = reply.form.persona
        form = PersonaForm(router=self._router, actor_of=actor_of, persona=persona)
        if (overflow := form.overflow()) is None or persona is None:
            return form
        field, limit = overflow
        return CommandReply(FORM_FIELD_TOO_LONG.format(field=field.lower(), limit=limit, name=persona.name), ok=False)


class PersonaCommands(_RouterGroup, name="persona", description=PERSONA_DESCRIPTION):
    command_word = "persona"

    @app_commands.command(name="list", description="The personas, with the one this channel uses")
    async def list_(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "list")

    @app_commands.command(name="show", description="A persona's prompt and settings")
    @app_commands.describe(name="The persona (default: this channel's)")
    async def show(self, interaction: discord.Interaction, name: Optional[str] = None) -> None:
        await self.run(interaction, f"show {name or ''}")

    @app_commands.command(name="use", description="Admins: the persona this channel uses (in a DM: yours)")
    @app_commands.describe(name="The persona to use")
    async def use(self, interaction: discord.Interaction, name: str) -> None:
        await self.run(interaction, f"use {name}")

    @app_commands.command(name="default", description="Admins: the server's default persona")
    @app_commands.describe(name="The persona channels use unless they chose one")
    async def default(self, interaction: discord.Interaction, name: str) -> None:
        await self.run(interaction, f"default {name}")

    @app_commands.command(name="delete", description="Admins: delete a persona")
    @app_commands.describe(name="The persona to delete")
    async def delete(self, interaction: discord.Interaction, name: str) -> None:
        await self.run(interaction, f"delete {name}")

    @app_commands.command(name="create", description="Admins: create a persona (opens a form)")
    @app_commands.describe(definition="Skip the form: <name> [model=…] [temperature=…] [max_tokens=…] [vision=…] <system prompt>")
    async def create(self, interaction: discord.Interaction, definition: Optional[str] = None) -> None:
        await self.run(interaction, f"create {definition or ''}")

    @app_commands.command(name="edit", description="Admins: edit a persona (opens a form)")
    @app_commands.describe(name="The persona to edit", changes="Skip the form: [field=value …] [new system prompt]")
    async def edit(self, interaction: discord.Interaction, name: str, changes: Optional[str] = None) -> None:
        await self.run(interaction, f"edit {name} {changes or ''}")

    @app_commands.command(name="tools", description="A persona's tools; admins: auto, ask or off per server or tool")
    @app_commands.describe(
        name="The persona", target="A tool server, or one tool as server.tool",
        policy="auto: runs; ask: the asker approves each call; off",
    )
    async def tools(
        self, interaction: discord.Interaction, name: str, target: Optional[str] = None,
        policy: Optional[Literal["auto", "ask", "off"]] = None,
    ) -> None:
        await self.run(interaction, " ".join(part for part in ("tools", name, target, policy) if part))


class ParleyCommands(_RouterGroup, name="parley", description=PARLEY_DESCRIPTION):
    command_word = "parley"

    @app_commands.command(name="help", description="What Parley can do")
    async def help(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "help")

    @app_commands.command(name="reset", description="Admins (in a DM: you): forget this channel's conversations")
    async def reset(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "reset")

    @app_commands.command(name="usage", description="Your usage today and this month (admins also see the server's)")
    async def usage(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "usage")

    @app_commands.command(name="forget-me", description="Delete every stored message of yours on this server")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "forget-me")

    @app_commands.command(name="retention", description="Admins (in a DM: you): how long this channel's messages are kept")
    @app_commands.describe(days="Days to keep messages (0: none after answering), or off: forever")
    async def retention(self, interaction: discord.Interaction, days: str) -> None:
        await self.run(interaction, f"retention {days}")

    @app_commands.command(name="limits", description="Rate limits: show them; admins: set or clear them")
    @app_commands.describe(
        action="show (default), set or clear", scope="user, channel or workspace",
        limit="For set: like 20/minute or 10/minute;100/day, or none",
    )
    async def limits(
        self,
        interaction: discord.Interaction,
        action: Literal["show", "set", "clear"] = "show",
        scope: Optional[Literal["user", "channel", "workspace"]] = None,
        limit: Optional[str] = None,
    ) -> None:
        await self.run(interaction, " ".join(part for part in ("limits", action, scope, limit) if part))

    @app_commands.command(name="memory", description="Admins (in a DM: you): remember this channel's conversations, or not")
    @app_commands.describe(state="on: remember; off: answer from the current message alone and store nothing")
    async def memory(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        await self.run(interaction, f"memory {state}")

    @app_commands.command(name="export", description="Admins (in a DM: you): this channel's stored messages as a file")
    async def export(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "export")

    @app_commands.command(name="feedback", description="Admins: 👍 / 👎 by persona and model, and the latest comments")
    async def feedback(self, interaction: discord.Interaction) -> None:
        await self.run(interaction, "feedback")

    @app_commands.command(name="filter", description="Content filters: show them; admins: change them, see the log")
    @app_commands.describe(
        action="show (default), set, block, unblock or log",
        target="For set: the filter (e.g. pii, moderation, blocklist); for block/unblock: the word or /regex/",
        value="For set: on, off, block, redact or flag",
    )
    async def filter(
        self,
        interaction: discord.Interaction,
        action: Literal["show", "set", "block", "unblock", "log"] = "show",
        target: Optional[str] = None,
        value: Optional[str] = None,
    ) -> None:
        await self.run(interaction, " ".join(part for part in ("filter", action, target, value) if part))

    @app_commands.command(name="access", description="Who may use me here: show; admins: allow, deny, remove, clear")
    @app_commands.describe(
        action="show (default), allow, deny, remove or clear", kind="user, role or channel",
        who="For allow/deny/remove: the user, role or channel (mention or id; several separated by spaces)",
    )
    async def access(
        self,
        interaction: discord.Interaction,
        action: Literal["show", "allow", "deny", "remove", "clear"] = "show",
        kind: Optional[Literal["user", "role", "channel"]] = None,
        who: Optional[str] = None,
    ) -> None:
        await self.run(interaction, " ".join(part for part in ("access", action, kind, who) if part))

    @app_commands.command(name="summon", description="How I am summoned in this channel: show; admins: change it")
    @app_commands.describe(
        mode="mention (answer mentions), always (every top-level message, in a thread), off (ignore the channel)",
        threads="auto (in my threads, answer every message) or mention (only mentions)",
    )
    async def summon(
        self,
        interaction: discord.Interaction,
        mode: Optional[Literal["mention", "always", "off"]] = None,
        threads: Optional[Literal["auto", "mention"]] = None,
    ) -> None:
        words = [word for word in (mode, *(("threads", threads) if threads else ())) if word]
        await self.run(interaction, " ".join(("summon", *(words or ["show"]))))

    @app_commands.command(name="model", description="The models you may pick here; pick one, or default")
    @app_commands.describe(name="A model the channel's persona lists, or default for the persona's own")
    async def model(self, interaction: discord.Interaction, name: Optional[str] = None) -> None:
        await self.run(interaction, f"model {name or ''}")

    @app_commands.command(name="tools", description="The tool servers; admins: log, the latest tool calls")
    @app_commands.describe(action="servers (default) or log")
    async def tools(self, interaction: discord.Interaction, action: Literal["servers", "log"] = "servers") -> None:
        await self.run(interaction, "tools log" if action == "log" else "tools")

    @app_commands.command(name="summarize", description="Summarise this channel's last hours (in a thread: the thread), for you")
    @app_commands.describe(hours="How many hours back, 1 to 168 (default 24); ignored in a thread")
    async def summarize(self, interaction: discord.Interaction, hours: Optional[str] = None) -> None:
        if self._history is not None and interaction.channel_id is not None:  # what Discord says this person may read
            permissions = interaction.permissions
            self._history.note_reader(
                interaction.channel_id, interaction.user.id,
                can_read=permissions.view_channel and permissions.read_message_history,
            )
        await self.run(interaction, f"summarize {hours or ''}".strip())


class ThreadSummaryMenu:
    """The message command "Summarize thread": the thread the message is in, or the one started on it."""

    def __init__(self, *, router: CommandRouter, history: DiscordHistory | None) -> None:
        self._router = router
        self._history = history

    async def on_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        channel = message.channel
        if isinstance(channel, discord.Thread):
            thread = channel.id
        elif message.flags.has_thread or message.thread is not None:
            thread = message.id  # a thread started on a message has the message's id
        else:
            await reply_in_time(interaction, _just(CommandReply(NOT_IN_A_THREAD, ok=False)))
            return
        if self._history is not None:
            permissions = interaction.permissions
            self._history.note_reader(thread, interaction.user.id,
                                      can_read=permissions.view_channel and permissions.read_message_history)
        actor = replace(actor_of(interaction), thread=str(thread))
        await reply_in_time(interaction, self._router.run(actor, "parley", "summarize"))


async def _just(reply: CommandReply) -> CommandReply:
    return reply


def install_commands(
    tree: app_commands.CommandTree, *, router: CommandRouter, history: DiscordHistory | None = None
) -> None:
    tree.add_command(PersonaCommands(router=router))
    tree.add_command(ParleyCommands(router=router, history=history))
    summarize = ThreadSummaryMenu(router=router, history=history)
    tree.add_command(app_commands.ContextMenu(name=SUMMARIZE_THREAD_MENU, callback=summarize.on_message))
    tree.error(_on_error)


async def _on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    command = interaction.command.qualified_name if interaction.command else None
    cause = getattr(error, "original", error)
    await apologise(interaction, COMMAND_FAILED, event="discord.command_failed", error=cause, command=command)
