"""``/persona tools <name> [<server|server.tool> <auto|ask|off>]`` and ``/parley tools [log]``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.admin import Actor, AdminPolicy, CommandReply, problem, record_change
from core.personas.values import Persona
from core.ports import AuditLog, Clock, ToolCallLog, ToolSettingsStore
from core.tools.loop import ToolRunner
from core.tools.servers import McpServers
from core.tools.values import POLICIES, ToolRule

PERSONA_TOOLS_USAGE = (
    "Usage: `/persona tools <persona> <server|server.tool> <auto|ask|off>` (auto: runs; ask: the person who "
    "asked approves each call; off), or `/persona tools <persona>` to see its tools."
)
TOOLS_HELP = "`/parley tools` (the tool servers) · `/parley tools log` (admins: the latest tool calls)"


class ToolsAdmin:
    def __init__(
        self,
        *,
        runner: ToolRunner,
        servers: McpServers,
        settings: ToolSettingsStore,
        calls: ToolCallLog,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
        find_persona: Callable[[Actor, str], Awaitable[Persona]],
    ) -> None:
        self._runner = runner
        self._servers = servers
        self._settings = settings
        self._calls = calls
        self._audit = audit
        self._policy = policy
        self._clock = clock
        self._find_persona = find_persona

    async def persona_command(self, actor: Actor, args: str) -> CommandReply:
        """``/persona tools …`` (the words after ``tools``)."""
        words = args.split()
        if not words or len(words) not in (1, 3):
            return problem(PERSONA_TOOLS_USAGE)
        persona = await self._find_persona(actor, words[0])
        if len(words) == 1:
            return CommandReply(f"**{persona.name}**" + (await self.describe(actor, persona) or "\nTools: no tool servers are configured."))
        self._policy.require_admin(actor, doing="change a persona's tools")
        target, choice = words[1], words[2].lower()
        if choice not in POLICIES:
            return problem(f"`{choice}` is not a tool policy: use auto, ask or off. " + PERSONA_TOOLS_USAGE)
        server, _, tool = target.partition(".")
        if server not in self._servers.names:
            known = ", ".join(f"`{n}`" for n in self._servers.names) or "none (the operator declares them in MCP_SERVERS_FILE)"
            return problem(f"There is no tool server `{server}`. Servers: {known}.")
        note = ""
        if tool:
            offered = {t.name for t in await self._servers.tools([server])}
            if offered and tool not in offered:
                return problem(f"`{server}` has no tool `{tool}`. Its tools: " + ", ".join(f"`{t}`" for t in sorted(offered)) + ".")
            if not offered:
                note = f" (`{server}` is not answering now, so the tool name could not be checked)"
        scope = actor.workspace_scope
        before = {r.target: r.policy for r in await self._settings.rules(scope, persona=persona.name)}.get(target)
        await self._settings.set_rule(scope, ToolRule(persona=persona.name, target=target, policy=choice))  # type: ignore[arg-type]
        await record_change(
            self._audit, clock=self._clock, actor=actor, action="persona.tools", target=f"{persona.name}:{target}",
            before={"policy": before}, after={"policy": choice},
        )
        return CommandReply(f"Persona `{persona.name}`: `{target}` is now {choice}{note}.")

    async def describe(self, actor: Actor, persona: Persona) -> str:
        """The lines ``/persona show`` adds: the persona's tools, and the servers that are failing."""
        return await self._runner.describe(actor.workspace_scope, persona.name)

    async def parley_command(self, actor: Actor, args: str) -> CommandReply:
        """``/parley tools`` and ``/parley tools log``."""
        sub = args.strip().lower()
        if sub == "":
            status = self._servers.status()
            if not status:
                return CommandReply("No tool servers are configured (the operator declares them in MCP_SERVERS_FILE).")
            lines = [f"• `{name}`: {state}" for name, state in status.items()]
            if self._runner.unavailable:
                lines.append(f"Tools are off: {self._runner.unavailable}.")
            return CommandReply("Tool servers:\n" + "\n".join(lines) + "\n" + TOOLS_HELP)
        if sub == "log":
            self._policy.require_admin(actor, doing="see the tool log")
            entries = await self._calls.recent(actor.workspace_scope, limit=20)
            if not entries:
                return CommandReply("No tool calls yet.")
            lines = [
                f"{e.created_at:%Y-%m-%d %H:%M} · `{e.tool}` · {e.outcome} · asked by `{e.user}` · persona "
                f"`{e.persona}` · args {e.arguments_digest} · {e.result_chars:,} chars"
                + (f" · approved by `{e.approved_by}`" if e.approved_by else "")
                for e in entries
            ]
            return CommandReply("Latest tool calls (newest first):\n" + "\n".join(lines))
        return problem(f"Unknown command `/parley tools {sub}`. " + TOOLS_HELP)


