"""The chat commands, the same on Slack, Discord and the terminal.

``/persona list | show [name] | use <name> | default <name> | delete <name> |
create | edit <name>`` and ``/parley help | reset | usage |
forget-me | retention <days|off> | memory <on|off> | export | limits … |
filter …``.  Adapters hand over the command word and the rest of the line;
platforms with forms (Slack modals, Discord modals) open one when the reply
carries ``form``, and submit it to ``submit_persona_form``; a reply with a
``file`` (``/parley export``) is delivered privately to the person who asked.

Reply texts are plain Markdown as Discord and Slack's ``markdown_text`` read
it (``**bold**``, `` `code` ``, ``>>>`` quotes); an adapter that sends Slack's
older mrkdwn converts the bold (``bots/slack/texts.py: mrkdwn``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from core.admin import Actor, AdminError
from core.channel_admin import ChannelAdmin, UsageReport
from core.export import JSONL_MIME_TYPE
from core.filters.admin import FilterAdmin
from core.limits.admin import LIMITS_USAGE, LimitsAdmin
from core.limits.pricing import usd
from core.personas import Persona, PersonaInvalid, parse_persona
from core.persona_admin import PersonaAdmin
from core.ports import UsageRow

PERSONA_HELP = (
    "`/persona list` · `/persona show [name]` · `/persona use <name>` · `/persona default <name>` · "
    "`/persona delete <name>` · `/persona create <name> [model=…] [temperature=…] [max_tokens=…] "
    "[memory_budget=…] <system prompt>` · `/persona edit <name> [field=value …] [new system prompt]`"
)
PARLEY_HELP = (
    "`/parley help` · `/parley reset` (forget this channel's conversations) · `/parley usage` "
    "(yours; admins also see the workspace's) · `/parley forget-me` (delete everything you said) · "
    "`/parley retention <days|off>` · `/parley memory <on|off>` · `/parley export` (this channel's stored "
    "messages, as a file sent to you) · `/parley limits show | set <user|channel|workspace> <limit> | "
    "clear <user|channel|workspace>` · `/parley filter show | set <pii|blocklist|moderation> "
    "<on|off|block|redact|flag> | block <pattern> | unblock <pattern> | log`"
)
HELP_TEXT = (
    "**Talk to me** by mentioning me in a channel (I answer in a thread; follow-ups in that thread need "
    "no mention) or in a direct message.\n**Personas:** " + PERSONA_HELP + "\n**Parley:** " + PARLEY_HELP
)
_OPTION = re.compile(r"^(model|temperature|max_tokens|memory_budget)=(\S+)$")
_COMMAND_LINE = re.compile(r"^/(\w[\w-]*)\s*(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PersonaForm:
    """Ask the platform to open a persona form, pre-filled with ``persona`` when editing."""

    persona: Persona | None = None


@dataclass(frozen=True, slots=True)
class CommandFile:
    """A file for the adapter to deliver privately to the person who asked (e.g. a DM upload)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    text: str
    ephemeral: bool = True
    form: PersonaForm | None = None
    ok: bool = True
    file: CommandFile | None = None


def split_command_line(line: str) -> tuple[str, str] | None:
    """``"/persona use pirate"`` → ``("persona", "use pirate")``; None if not a command."""
    match = _COMMAND_LINE.match(line.strip())
    return (match.group(1).lower(), match.group(2).strip()) if match else None


class CommandRouter:
    def __init__(
        self,
        *,
        personas: PersonaAdmin,
        channels: ChannelAdmin,
        limits: LimitsAdmin | None,
        default_model: str,
        filters: FilterAdmin | None = None,
    ) -> None:
        self._personas = personas
        self._channels = channels
        self._limits = limits
        self._default_model = default_model
        self._filters = filters

    async def run(self, actor: Actor, command: str, args: str = "") -> CommandReply:
        command = command.lstrip("/").lower()
        sub, _, rest = args.strip().partition(" ")
        sub, rest = sub.lower(), rest.strip()
        try:
            if command == "persona":
                return await self._persona(actor, sub, rest)
            if command == "parley":
                return await self._parley(actor, sub, rest)
            return _problem(f"Unknown command `/{command}`. Try `/parley help`.")
        except PersonaInvalid as invalid:
            return _problem("That persona is not valid: " + "; ".join(f"{e.field} {e.message}" for e in invalid.errors))
        except AdminError as refusal:
            return _problem(str(refusal))

    async def submit_persona_form(self, actor: Actor, *, editing: str | None, fields: Mapping[str, str]) -> CommandReply:
        """Create (``editing`` None) or update a persona from form fields; raises PersonaInvalid."""
        persona = parse_persona(
            name=editing or fields.get("name", ""),
            system_prompt=fields.get("system_prompt", ""),
            model=fields.get("model", "") or self._default_model,
            temperature=fields.get("temperature"),
            max_tokens=fields.get("max_tokens"),
            memory_budget=fields.get("memory_budget"),
        )
        try:
            if editing is None:
                await self._personas.create(actor, persona)
                return CommandReply(f"Created persona `{persona.name}`.")
            await self._personas.update(actor, persona)
            return CommandReply(f"Updated persona `{persona.name}`.")
        except AdminError as refusal:
            return _problem(str(refusal))

    async def _persona(self, actor: Actor, sub: str, rest: str) -> CommandReply:
        name, _, tail = rest.partition(" ")
        if sub in ("", "list"):
            personas = await self._personas.list(actor)
            current = await self._personas.show(actor)
            lines = [f"{'→ ' if p.name == current.name else '• '}`{p.name}` ({p.model})" for p in personas]
            return CommandReply("Personas (→ this channel's):\n" + "\n".join(lines))
        if sub == "show":
            return CommandReply(_describe(await self._personas.show(actor, name or None)))
        if sub in ("use", "default", "delete") and not name:
            return _problem(f"Usage: `/persona {sub} <name>`.")
        if sub == "use":
            persona = await self._personas.use(actor, name)
            return CommandReply(f"This {'conversation' if actor.is_dm else 'channel'} now uses persona `{persona.name}`.")
        if sub == "default":
            persona = await self._personas.set_default(actor, name)
            return CommandReply(f"`{persona.name}` is now the default persona for this workspace.")
        if sub == "delete":
            await self._personas.delete(actor, name)
            return CommandReply(f"Deleted persona `{name}`.")
        if sub == "create":
            return await self._create_or_edit(actor, name, tail, editing=False)
        if sub == "edit":
            if not name:
                return _problem("Usage: `/persona edit <name> [field=value …] [new system prompt]`.")
            return await self._create_or_edit(actor, name, tail, editing=True)
        return _problem(f"Unknown persona command `{sub}`. " + PERSONA_HELP)

    async def _create_or_edit(self, actor: Actor, name: str, tail: str, *, editing: bool) -> CommandReply:
        options, prompt = _options_and_prompt(tail)
        if editing:
            existing = await self._personas.show(actor, name)
            if not options and not prompt:
                return CommandReply("Edit the persona in the form.", form=PersonaForm(existing))
            fields = {k: str(v) for k, v in asdict(existing).items()} | options
            fields["system_prompt"] = prompt or existing.system_prompt
            return await self.submit_persona_form(actor, editing=name, fields=fields)
        if not name or not prompt:
            return CommandReply(
                "Fill in the new persona in the form, or type it in one line: " + PERSONA_HELP, form=PersonaForm()
            )
        return await self.submit_persona_form(actor, editing=None, fields={"name": name, "system_prompt": prompt, **options})

    async def _parley(self, actor: Actor, sub: str, rest: str) -> CommandReply:
        if sub in ("", "help"):
            return CommandReply(HELP_TEXT)
        if sub == "reset":
            deleted = await self._channels.reset(actor)
            return CommandReply(f"Done: I forgot this {'conversation' if actor.is_dm else 'channel'}'s memory ({deleted} messages).")
        if sub == "forget-me":
            deleted = await self._channels.forget_user(actor)
            return CommandReply(f"Done: I deleted {deleted} stored messages of yours in this workspace.")
        if sub == "usage":
            parts = [_format_own(await self._channels.usage(actor))]
            if self._channels.is_admin(actor):
                parts += [_format_grouped(await self._channels.usage(actor, group_by=g)) for g in ("user", "channel", "model")]
            return CommandReply("\n\n".join(parts))
        if sub == "limits" and self._limits is not None:
            return await self._limits_command(actor, rest)
        if sub == "filter" and self._filters is not None:
            return CommandReply(await self._filters.run(actor, rest))
        if sub == "memory":
            return await self._memory(actor, rest.lower())
        if sub == "export":
            return await self._export(actor)
        if sub == "retention":
            days = _parse_retention(rest)
            if days is False:
                return _problem("Usage: `/parley retention <days>` (0 keeps nothing after answering) or `/parley retention off`.")
            await self._channels.set_retention(actor, days)
            kept = "forever" if days is None else f"for {days} days" if days else "only while answering"
            return CommandReply(f"This channel's messages are now kept {kept}.")
        return _problem(f"Unknown command `/parley {sub}`. " + PARLEY_HELP)

    async def _memory(self, actor: Actor, value: str) -> CommandReply:
        if value not in ("on", "off"):
            return _problem(
                "Usage: `/parley memory off` (answer from each message alone, store nothing) or `/parley memory on`."
            )
        await self._channels.set_memory(actor, value == "on")
        where = "conversation" if actor.is_dm else "channel"
        if value == "on":
            return CommandReply(f"Memory is on in this {where}: I remember earlier messages of each conversation.")
        return CommandReply(
            f"Memory is off in this {where}: I answer from each message alone and store nothing. "
            "What was stored before stays until `/parley reset` or retention removes it."
        )

    async def _export(self, actor: Actor) -> CommandReply:
        export = await self._channels.export(actor)
        where = "conversation" if actor.is_dm else "channel"
        if export.turns == 0:
            return CommandReply(f"Nothing is stored for this {where}, so there is nothing to export.")
        text = f"This {where}'s {export.turns:,} stored messages, as JSON lines (`{export.filename}`)."
        if export.truncated:
            text += " The export holds the oldest of them only: it would be too large otherwise."
        return CommandReply(text, file=CommandFile(export.filename, export.content, JSONL_MIME_TYPE))

    async def _limits_command(self, actor: Actor, rest: str) -> CommandReply:
        action, _, tail = rest.partition(" ")
        scope, _, value = tail.strip().partition(" ")
        action, scope, value = action.lower(), scope.lower(), value.strip()
        if action in ("", "show"):
            return CommandReply(await self._limits.show(actor))
        if action == "set" and scope and value:
            return CommandReply(await self._limits.set(actor, scope, value))
        if action == "clear" and scope and not value:
            return CommandReply(await self._limits.set(actor, scope, None))
        return _problem(LIMITS_USAGE)


def _options_and_prompt(tail: str) -> tuple[dict[str, str], str]:
    options: dict[str, str] = {}
    words = tail.split(" ")
    while words and (match := _OPTION.match(words[0])):
        options[match.group(1)] = match.group(2)
        words.pop(0)
    return options, " ".join(words).strip()


def _parse_retention(text: str) -> int | None | bool:
    text = text.strip().lower()
    if text in ("off", "forever", "never"):
        return None
    return int(text) if text.isdigit() else False


def _describe(p: Persona) -> str:
    return (
        f"**{p.name}** · model `{p.model}` · temperature {p.temperature:g} · max tokens {p.max_tokens:,} · "
        f"memory {p.memory_budget:,} tokens\n>>> {p.system_prompt}"
    )


def _row(row: UsageRow) -> str:
    cost = f" (about {usd(row.cost_micro_usd)})" if row.cost_micro_usd else ""
    return f"{row.requests:,} requests, {row.prompt_tokens:,} prompt + {row.completion_tokens:,} completion tokens{cost}"


def _format_own(report: UsageReport) -> str:
    today = report.today[0] if report.today else UsageRow("", 0, 0, 0)
    month = report.this_month[0] if report.this_month else UsageRow("", 0, 0, 0)
    return f"Your usage today: {_row(today)}.\nThis month: {_row(month)}."


def _format_grouped(report: UsageReport) -> str:
    lines = [f"• `{row.group}`: {_row(row)}" for row in report.this_month] or ["• nothing yet"]
    return f"Workspace this month by {report.group_by} (top 10):\n" + "\n".join(lines)


def _problem(text: str) -> CommandReply:
    return CommandReply(text, ok=False)
