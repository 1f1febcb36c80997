"""``/parley access …`` and ``/parley summon …``: who may use it and how a channel summons it, audited.

Forms (one vocabulary on every platform):
``/parley access [show]`` · ``/parley access allow|deny <user|group|role|channel> <id-or-mention> …`` ·
``/parley access remove <user|group|role|channel> <id-or-mention> …`` · ``/parley access clear`` ·
``/parley summon [show]`` · ``/parley summon <mention|always|off> [threads <auto|mention>]`` ·
``/parley summon threads <auto|mention>``.
"""

from __future__ import annotations

from dataclasses import replace

from core.access.policy import AccessGate
from core.access.values import (
    OPERATOR, AccessRule, Effect, Kind, SubjectInvalid, SummonMode, ThreadMode, kind_name, parse_kind,
    parse_subject, shown,
)
from core.admin import Actor, AdminError, AdminPolicy, CommandHandler, CommandReply, record_change
from core.ports import AccessStore, AuditLog, Clock

ACCESS_USAGE = (
    "Usage: `/parley access show`, `/parley access allow <user|group|role|channel> <id or mention> …`, "
    "`/parley access deny <user|group|role|channel> <id or mention> …`, "
    "`/parley access remove <user|group|role|channel> <id or mention> …`, `/parley access clear`."
)
SUMMON_USAGE = (
    "Usage: `/parley summon show`, `/parley summon <mention|always|off>` (answer mentions; answer every "
    "top-level message in a thread; ignore the channel), `/parley summon threads <auto|mention>` (in my threads, "
    "answer every message or only mentions); both at once: `/parley summon always threads mention`."
)
MAX_SUBJECTS = 20  # in one command
_MODE_SAYS = {
    SummonMode.MENTION: "I answer when mentioned",
    SummonMode.ALWAYS: "I answer every top-level message, each in its own thread",
    SummonMode.OFF: "I ignore this channel (admin commands still work)",
}
_THREADS_SAYS = {
    ThreadMode.AUTO: "in threads I take part in, I answer without a mention",
    ThreadMode.MENTION: "in threads too, I answer only when mentioned",
}


class AccessAdmin:
    def __init__(
        self, *, gate: AccessGate, store: AccessStore, audit: AuditLog, policy: AdminPolicy, clock: Clock
    ) -> None:
        self._gate = gate
        self._store = store
        self._audit = audit
        self._policy = policy
        self._clock = clock

    def commands(self) -> dict[str, CommandHandler]:
        return {"access": self.access_command, "summon": self.summon_command}

    async def access_command(self, actor: Actor, args: str) -> CommandReply:
        words = args.split()
        action = words.pop(0).lower() if words else "show"
        if action == "show" and not words:
            return CommandReply(await self.show(actor))
        if action == "clear" and not words:
            return CommandReply(await self.clear(actor))
        if action in ("allow", "deny", "remove") and len(words) >= 2:
            kind = parse_kind(words[0])
            if kind is None:
                raise AdminError(f"`{words[0][:40]}` is not one of user, group, role, channel. {ACCESS_USAGE}")
            if len(words) - 1 > MAX_SUBJECTS:
                raise AdminError(f"At most {MAX_SUBJECTS} at once.")
            try:
                subjects = [parse_subject(kind, word) for word in words[1:]]
            except SubjectInvalid as bad:
                raise AdminError(f"{bad}. {ACCESS_USAGE}") from None
            if action == "remove":
                return CommandReply(await self.remove(actor, kind, subjects))
            return CommandReply(await self.put(actor, Effect(action), kind, subjects))
        raise AdminError(ACCESS_USAGE)

    async def show(self, actor: Actor) -> str:
        rules = (await self._gate.access_list(actor.workspace_scope)).rules
        summoning = await self._gate.summoning(actor.channel_scope)
        lines = ["**Who may use me in this workspace** (a deny always wins; an empty allow list means everyone):"]
        if not rules:
            lines.append("• no rules: everyone, in every channel")
        for rule in rules:
            by = " (set by the operator)" if rule.author == OPERATOR else ""
            what = kind_name(rule.kind, platform=actor.platform)
            lines.append(f"• {rule.effect.value} {what} {shown(rule.kind, rule.subject, platform=actor.platform)}{by}")
        if not actor.is_dm:
            lines.append(f"**This channel:** {_MODE_SAYS[summoning.mode]}; {_THREADS_SAYS[summoning.threads]}.")
        return "\n".join(lines)

    async def put(self, actor: Actor, effect: Effect, kind: Kind, subjects: list[str]) -> str:
        self._policy.require_admin(actor, doing="change who may use me")
        for subject in subjects:
            before = await self._store.put_rule(
                actor.workspace_scope, AccessRule(effect=effect, kind=kind, subject=subject, author=actor.user)
            )
            await self._record(
                actor, f"access.{effect.value}", f"{kind.value}:{subject}",
                before=None if before is None else {"effect": before.effect.value}, after={"effect": effect.value},
            )
        what = kind_name(kind, platform=actor.platform)
        names = ", ".join(shown(kind, s, platform=actor.platform) for s in subjects)
        verb = "allowed" if effect is Effect.ALLOW else "denied"
        text = f"Done: {what} {names} {verb}."
        if effect is Effect.ALLOW:
            text += f" While any {what if kind is Kind.CHANNEL else 'user or group'} is allowed, only those are."
        return text

    async def remove(self, actor: Actor, kind: Kind, subjects: list[str]) -> str:
        self._policy.require_admin(actor, doing="change who may use me")
        removed = []
        for subject in subjects:
            before = await self._store.remove_rule(actor.workspace_scope, kind=kind, subject=subject)
            if before is None:
                continue
            removed.append(subject)
            await self._record(
                actor, "access.remove", f"{kind.value}:{subject}", before={"effect": before.effect.value}, after=None
            )
        if not removed:
            operator = {r.subject for r in self._gate.defaults.rules if r.kind is kind}
            if operator & set(subjects):
                raise AdminError("That rule is set by the operator (ACCESS_… settings); it cannot be removed here.")
            raise AdminError("There is no such rule. `/parley access show` lists them.")
        names = ", ".join(shown(kind, s, platform=actor.platform) for s in removed)
        return f"Done: no rule for {kind_name(kind, platform=actor.platform)} {names} any more."

    async def clear(self, actor: Actor) -> str:
        self._policy.require_admin(actor, doing="change who may use me")
        before = await self._store.rules(actor.workspace_scope)
        cleared = await self._store.clear_rules(actor.workspace_scope)
        await self._record(
            actor, "access.clear", actor.workspace,
            before={"rules": [f"{r.effect.value} {r.kind.value}:{r.subject}" for r in before]}, after={"rules": []},
        )
        kept = " The operator's rules stay." if self._gate.defaults.rules else ""
        return f"Done: removed {cleared} rules.{kept}"

    async def summon_command(self, actor: Actor, args: str) -> CommandReply:
        words = args.lower().split()
        if words in ([], ["show"]):
            summoning = await self._gate.summoning(actor.channel_scope)
            return CommandReply(f"In this channel {_MODE_SAYS[summoning.mode]}; {_THREADS_SAYS[summoning.threads]}.")
        mode = SummonMode(words.pop(0)) if words and words[0] in {m.value for m in SummonMode} else None
        threads = None
        if len(words) == 2 and words[0] == "threads" and words[1] in {m.value for m in ThreadMode}:
            threads, words = ThreadMode(words[1]), []
        if words or (mode is None and threads is None):
            raise AdminError(SUMMON_USAGE)
        return CommandReply(await self.set_summoning(actor, mode=mode, threads=threads))

    async def set_summoning(
        self, actor: Actor, *, mode: SummonMode | None = None, threads: ThreadMode | None = None
    ) -> str:
        self._policy.require_admin(actor, doing="change how I am summoned")
        if actor.is_dm:
            raise AdminError("In a direct message I always answer; summoning modes are for channels.")
        before = await self._gate.summoning(actor.channel_scope)
        after = replace(before, mode=mode or before.mode, threads=threads or before.threads)
        await self._store.set_summoning(actor.channel_scope, after)
        await self._record(
            actor, "channel.summon", actor.channel,
            before={"mode": before.mode.value, "threads": before.threads.value},
            after={"mode": after.mode.value, "threads": after.threads.value},
        )
        return f"Done: in this channel {_MODE_SAYS[after.mode]}; {_THREADS_SAYS[after.threads]}."

    async def _record(self, actor: Actor, action: str, target: str, *, before, after) -> None:
        await record_change(
            self._audit, clock=self._clock, actor=actor, action=action, target=target, before=before, after=after
        )

