"""``/parley filter``: see and change the workspace's filters, audited; admins see recent decisions."""

from __future__ import annotations

from core.admin import Actor, AdminError, AdminPolicy, CommandReply, record_change
from core.filters.blocklist import RULE_SYNTAX, RuleInvalid, parse_rule
from core.filters.pipeline import FilterPipeline
from core.filters.policy import mode_for
from core.filters.values import FILTERS, FilterDecision
from core.ports import FilterDecisionLog, FilterSettingsStore
from core.ports import AuditLog, Clock

MAX_RULES = 200
LOG_LINES = 20
FILTER_USAGE = (
    "Usage: `/parley filter show`, `/parley filter set <pii|blocklist|moderation> <on|off|block|redact|flag>`, "
    f"`/parley filter block <pattern>` ({RULE_SYNTAX}), `/parley filter unblock <pattern>`, `/parley filter log`."
)
_NAMES = {"pii": "PII redaction", "blocklist": "Blocklist", "moderation": "Moderation"}
_DONE = {"block": "blocked", "redact": "redacted"}


class FilterAdmin:
    def __init__(
        self,
        *,
        pipeline: FilterPipeline,
        store: FilterSettingsStore,
        decisions: FilterDecisionLog,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
    ) -> None:
        self._pipeline = pipeline
        self._store = store
        self._decisions = decisions
        self._audit = audit
        self._policy = policy
        self._clock = clock

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """One ``/parley filter …`` line (after the word ``filter``); raises AdminError on refusals."""
        return CommandReply(await self._run(actor, args))

    async def _run(self, actor: Actor, args: str) -> str:
        action, _, rest = args.strip().partition(" ")
        action, rest = action.lower(), rest.strip()
        if action in ("", "show"):
            return await self.show(actor)
        if action == "set":
            name, _, value = rest.partition(" ")
            if name.lower() not in FILTERS or not value.strip():
                raise AdminError(FILTER_USAGE)
            return await self.set(actor, name.lower(), value.strip())
        if action == "block" and rest:
            return await self.block(actor, rest)
        if action == "unblock" and rest:
            return await self.unblock(actor, rest)
        if action == "log":
            return await self.recent(actor)
        raise AdminError(FILTER_USAGE)

    async def show(self, actor: Actor) -> str:
        filters = await self._pipeline.workspace(actor.workspace_scope)
        policy = filters.policy
        own = await self._store.rules(actor.workspace_scope)
        from_settings = self._pipeline.defaults.rules

        def origin(name: str) -> str:
            return "set here" if name in policy.overridden else "default"

        lines = ["Content filters in this workspace:"]
        pii = "on: e-mail addresses, phone numbers, card numbers, IBANs, keys and tokens" if policy.pii == "redact" else "off"
        lines.append(f"• {_NAMES['pii']} of messages: {pii} ({origin('pii')})")
        lines.append(
            f"• {_NAMES['blocklist']}: {policy.blocklist} ({origin('blocklist')}); "
            f"{len(own)} rule(s) set here, {len(from_settings)} from the settings"
        )
        lines.append(self._moderation_line(policy.moderation, origin("moderation")))
        if self._policy.is_admin(actor) and (own or from_settings):
            rules = [f"`{r.pattern}` ({r.action or 'default'})" for r in own]
            rules += [f"`{r.pattern}` ({r.action or 'default'}, settings)" for r in from_settings]
            lines.append("Rules: " + " · ".join(rules))
        return "\n".join(lines)

    def _moderation_line(self, mode: str, origin: str) -> str:
        availability = self._pipeline.moderator.availability
        if mode == "off":
            return f"• {_NAMES['moderation']}: off ({origin})"
        if not availability.available:
            return (
                f"• {_NAMES['moderation']}: {mode} ({origin}), but unavailable: {availability.reason}. "
                "The blocklist and PII redaction still run, and answers still go out."
            )
        defaults = self._pipeline.defaults
        failure = (
            f"if the service fails, messages {'go through' if defaults.input_failure == 'open' else 'are refused'} "
            f"and answers {'go out' if defaults.output_failure == 'open' else 'are held back'}"
        )
        return f"• {_NAMES['moderation']}: {mode} ({origin}) on messages and answers, model `{availability.model}`; {failure}"

    async def set(self, actor: Actor, name: str, value: str) -> str:
        self._policy.require_admin(actor, doing="change the content filters")
        try:
            mode = mode_for(name, value, self._pipeline.defaults)
        except ValueError as bad:
            raise AdminError(str(bad)) from None
        scope = actor.workspace_scope
        before = await self._store.get_policy(scope)
        await self._store.put_policy(scope, before.with_mode(name, mode))
        self._pipeline.forget(scope)
        await self._record(actor, "filter.set", name, before={"mode": before.mode(name)}, after={"mode": mode})
        return f"{_NAMES[name]} in this workspace is now `{mode}`."

    async def block(self, actor: Actor, line: str) -> str:
        self._policy.require_admin(actor, doing="change the blocklist")
        try:
            rule = parse_rule(line)
        except RuleInvalid as refused:
            raise AdminError(f"{refused} {FILTER_USAGE}" if "Give a pattern" in str(refused) else str(refused)) from None
        scope = actor.workspace_scope
        if len(await self._store.rules(scope)) >= MAX_RULES:
            raise AdminError(f"This workspace already has {MAX_RULES} blocklist rules; remove some first.")
        if not await self._store.add_rule(scope, rule, author=actor.user):
            raise AdminError(f"`{rule.pattern}` is already on the blocklist.")
        self._pipeline.forget(scope)
        await self._record(actor, "filter.block", rule.pattern, after={"action": rule.action})
        if rule.action is not None:
            return f"Added `{rule.pattern}` to the blocklist: matches are {_DONE[rule.action]}."
        mode = (await self._pipeline.workspace(scope)).policy.blocklist
        now = f"now {_DONE[mode]}" if mode in _DONE else "now off"
        return f"Added `{rule.pattern}` to the blocklist: matches get the blocklist's action ({now})."

    async def unblock(self, actor: Actor, pattern: str) -> str:
        self._policy.require_admin(actor, doing="change the blocklist")
        scope = actor.workspace_scope
        pattern = pattern.strip()
        if not await self._store.remove_rule(scope, pattern):
            if any(r.pattern == pattern for r in self._pipeline.defaults.rules):
                raise AdminError(f"`{pattern}` comes from the BLOCKLIST setting; it can only be removed there.")
            raise AdminError(f"`{pattern}` is not on this workspace's blocklist. `/parley filter show` lists it.")
        self._pipeline.forget(scope)
        await self._record(actor, "filter.unblock", pattern, before={"pattern": pattern})
        return f"Removed `{pattern}` from the blocklist."

    async def recent(self, actor: Actor) -> str:
        self._policy.require_admin(actor, doing="see the filter log")
        decisions = await self._decisions.recent(actor.workspace_scope, limit=LOG_LINES)
        if not decisions:
            return "No filter decisions recorded in this workspace yet."
        return f"Latest filter decisions (newest first, at most {LOG_LINES}):\n" + "\n".join(map(_line, decisions))

    async def _record(self, actor: Actor, action: str, target: str, *, before=None, after=None) -> None:
        await record_change(
            self._audit, clock=self._clock, actor=actor, action=action, target=target, before=before, after=after
        )


def _line(d: FilterDecision) -> str:
    when = f"{d.created_at:%Y-%m-%d %H:%M} UTC" if d.created_at else "?"
    return f"• {when} · channel {d.channel} · user {d.user} · {d.direction} · {d.filter} `{d.category}` → {d.action}"
