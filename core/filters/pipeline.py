"""The filter pipeline: the core's ContentFilter, with a per-workspace policy.

Input (before the LLM, and so before anything is stored): blocklist → PII
redaction → moderation.  Output: blocklist → moderation, at the streaming
checkpoints (only a block counts there; moderation sees the newest
``MODERATION_WINDOW_CHARS``) and on the final text (the whole answer; redaction
and flags apply).  A checkpoint scans only what is new since the previous
one (plus an overlap); the final check scans everything.  The blocklist and
PII redaction of a long text run on a worker thread, so other conversations
keep flowing.  Each decision is recorded without the content.  A moderation
endpoint that does not exist is skipped; one that errs, and a blocking rule
that runs out of time, are handled by the fail-open/fail-closed settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import regex
import structlog

from core.filters import texts
from core.filters.blocklist import Blocklist
from core.filters.moderation import ModerationFailed, ModerationUnavailable
from core.ports import Moderator
from core.filters.pii import describe_kinds, redact_pii
from core.filters.policy import EffectivePolicy, FilterDefaults, effective
from core.filters.values import INPUT, OUTPUT, BlockRule, FilterDecision
from core.ports import FilterDecisionLog, FilterSettingsStore
from core.messages import IncomingMessage
from core.ports import Clock, Metrics
from core.observability.no_metrics import NoMetrics
from core.records import FilterVerdict
from core.ttl_cache import TtlCache
from core.messages import WorkspaceScope

log = structlog.get_logger(__name__)

MODERATION_WINDOW_CHARS = 1_000
# A streaming checkpoint rescans this much of what the previous one saw, so a rule matching across the
# boundary is still caught there (longer matches are caught by the final check, which scans everything).
CHECKPOINT_OVERLAP_CHARS = 1_000
OFF_LOOP_CHARS = 4_000  # local checks of a longer text run on a worker thread: other conversations go on
POLICY_CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class WorkspaceFilters:
    policy: EffectivePolicy
    blocklist: Blocklist


class FilterPipeline:
    def __init__(
        self,
        *,
        store: FilterSettingsStore,
        decisions: FilterDecisionLog,
        moderator: Moderator,
        defaults: FilterDefaults,
        clock: Clock,
        cache_seconds: float = POLICY_CACHE_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics or NoMetrics()
        self._store = store
        self._decisions = decisions
        self._moderator = moderator
        self._defaults = defaults
        self._clock = clock
        self._cache = TtlCache(ttl=cache_seconds, now=lambda: clock.now().timestamp())

    @property
    def moderator(self) -> Moderator:
        return self._moderator

    @property
    def defaults(self) -> FilterDefaults:
        return self._defaults

    async def workspace(self, scope: WorkspaceScope) -> WorkspaceFilters:
        """The workspace's effective policy and compiled rules (cached a few seconds, read once however many
        messages ask at once; see ``forget``)."""
        return await self._cache.through(scope, lambda: self._load(scope))

    async def _load(self, scope: WorkspaceScope) -> WorkspaceFilters:
        policy = effective(await self._store.get_policy(scope), self._defaults)
        rules = [*self._defaults.rules, *await self._store.rules(scope)]
        return WorkspaceFilters(policy=policy, blocklist=_compile(rules, default_action=policy.blocklist))

    def forget(self, scope: WorkspaceScope) -> None:
        """Drop the cached policy after an admin changed it."""
        self._cache.drop(lambda key: key == scope)

    async def check_input(self, message: IncomingMessage, text: str) -> FilterVerdict:
        filters = await self.workspace(_scope(message))
        decisions = _Decisions(message, INPUT)
        try:
            verdict = await _off_the_loop_if_large(text, self._local_input, filters, text, decisions)
            if verdict.allowed and filters.policy.moderation != "off":
                refusal = await self._moderate(verdict.text, filters.policy.moderation, decisions, final=True)
                return refusal or verdict
            return verdict
        finally:
            await decisions.save(self._decisions, self._clock, self._metrics)

    async def check_output(self, message: IncomingMessage, text: str, *, final: bool, since: int = 0) -> FilterVerdict:
        """``since``: at a streaming checkpoint, where the previous one ended; only what came after it (and an
        overlap of ``CHECKPOINT_OVERLAP_CHARS``) is scanned there. The final check scans the whole answer."""
        filters = await self.workspace(_scope(message))
        decisions = _Decisions(message, OUTPUT)
        try:
            scanned = text if final else text[max(0, since - CHECKPOINT_OVERLAP_CHARS):]
            verdict = await _off_the_loop_if_large(
                scanned, self._apply_blocklist, filters, scanned, decisions, final=final
            )
            if not verdict.allowed:
                return verdict
            if filters.policy.moderation != "off":
                refusal = await self._moderate(
                    verdict.text if final else text, filters.policy.moderation, decisions, final=final
                )
                if refusal is not None:
                    return refusal
            return verdict if final else FilterVerdict(allowed=True, text=text)
        finally:
            await decisions.save(self._decisions, self._clock, self._metrics)

    def _local_input(self, filters: WorkspaceFilters, text: str, decisions: _Decisions) -> FilterVerdict:
        """Blocklist, then PII redaction (plain CPU work: run off the event loop for a large text)."""
        verdict = self._apply_blocklist(filters, text, decisions, final=True)
        if not verdict.allowed or filters.policy.pii != "redact":
            return verdict
        redacted = redact_pii(verdict.text)
        if not redacted.changed:
            return verdict
        decisions.add_all("pii", list(redacted.kinds), "redacted")
        notice = texts.PII_REDACTED_NOTICE.format(kinds=describe_kinds(redacted.kinds))
        return FilterVerdict(allowed=True, text=redacted.text, notices=(*verdict.notices, notice))

    def _apply_blocklist(
        self, filters: WorkspaceFilters, text: str, decisions: _Decisions, *, final: bool
    ) -> FilterVerdict:
        """The blocklist step, either way: a block refuses; redactions go on with the redacted text and a notice.

        Input is always checked in full; output at a streaming checkpoint (``final`` False) only looks for a
        block (no redaction, and time-outs are left to the final check, which records them). A blocking rule
        that ran out of time refuses the text unless BLOCKLIST_TIMEOUT_FAILURE=open.
        """
        if filters.policy.blocklist == "off" or not filters.blocklist:
            return FilterVerdict(allowed=True, text=text)
        output = decisions.direction == OUTPUT
        result = filters.blocklist.apply(text, redact=final)
        if result.blocked_by is not None:
            decisions.add("blocklist", result.blocked_by.label, "blocked")
            return _blocked("blocklist", texts.OUTPUT_BLOCKED_BY_RULE if output else texts.INPUT_BLOCKED_BY_RULE)
        if final and result.undecided and self._defaults.blocklist_timeout == "closed":
            decisions.timeouts(result.undecided, action="failed_closed")
            return _blocked(
                "blocklist_timeout", texts.OUTPUT_BLOCKLIST_TIMED_OUT if output else texts.INPUT_BLOCKLIST_TIMED_OUT
            )
        if final:
            decisions.timeouts(result.undecided, action="failed_open")
            decisions.timeouts(tuple(r for r in result.timed_out if r not in result.undecided), action="skipped")
        if not result.redacted_by:
            return FilterVerdict(allowed=True, text=text)
        decisions.add_all("blocklist", [r.label for r in result.redacted_by], "redacted")
        notice = texts.OUTPUT_REDACTED_NOTICE if output else texts.INPUT_REDACTED_NOTICE
        return FilterVerdict(allowed=True, text=result.text, notices=(notice,))

    async def _moderate(self, text: str, mode: str, decisions: _Decisions, *, final: bool) -> FilterVerdict | None:
        """None to go on; a refusal when the text is flagged under ``block`` or the check fails closed."""
        output = decisions.direction == OUTPUT
        sample = text if final or not output else text[-MODERATION_WINDOW_CHARS:]
        try:
            result = await self._moderator.check(sample)
        except ModerationUnavailable:
            return None
        except ModerationFailed as failed:
            if not final:
                log.debug("moderation.checkpoint_failed", cause=failed.cause)
                return None  # the final check decides
            closed = (self._defaults.output_failure if output else self._defaults.input_failure) == "closed"
            log.warning("moderation.failed", direction=decisions.direction, cause=failed.cause,
                        fail="closed" if closed else "open")
            decisions.add("moderation", "error", "failed_closed" if closed else "failed_open")
            if closed:
                user_text = texts.OUTPUT_MODERATION_FAILED if output else texts.INPUT_MODERATION_FAILED
                return _blocked("moderation_failed", user_text)
            return None
        if not result.hits:
            return None
        categories = list(result.categories)
        if mode == "flag":
            if final:
                decisions.add_all("moderation", categories, "flagged")
            return None
        decisions.add_all("moderation", categories, "blocked")
        template = texts.OUTPUT_BLOCKED_BY_MODERATION if output else texts.INPUT_BLOCKED_BY_MODERATION
        return _blocked("moderation", template.format(categories=", ".join(categories)))


class _Decisions:
    """The decisions of one check, saved together at its end."""

    def __init__(self, message: IncomingMessage, direction: str) -> None:
        self._message = message
        self.direction = direction
        self._pending: list[tuple[str, str, str]] = []

    def add(self, filter_name: str, category: str, action: str) -> None:
        self._pending.append((filter_name, category, action))

    def add_all(self, filter_name: str, categories: list[str], action: str) -> None:
        for category in categories:
            self.add(filter_name, category, action)

    def timeouts(self, rules: tuple[BlockRule, ...], *, action: str) -> None:
        """Rules that ran out of time: ``skipped`` (a redacting rule), ``failed_open`` or ``failed_closed``."""
        for rule in rules:
            log.warning("filter.regex_timeout", rule=rule.label, direction=self.direction, action=action)
            self.add("blocklist", rule.label, action)

    async def save(self, store: FilterDecisionLog, clock: Clock, metrics: Metrics) -> None:
        if not self._pending:
            return
        key, now = self._message.key, clock.now()
        await store.record([
            FilterDecision(
                platform=key.platform, workspace=key.workspace, channel=key.channel, user=self._message.user,
                direction=self.direction, filter=f, category=c, action=a, created_at=now,
            )
            for f, c, a in self._pending
        ])
        for f, c, a in self._pending:
            metrics.filter_decision(filter=f, direction=self.direction, action=a)
            log.info("filter.decision", direction=self.direction, filter=f, category=c, action=a,
                     workspace=key.workspace, channel=key.channel)


async def _off_the_loop_if_large(text: str, check: Callable[..., FilterVerdict], *args, **kwargs) -> FilterVerdict:
    if len(text) <= OFF_LOOP_CHARS:
        return check(*args, **kwargs)
    return await asyncio.to_thread(check, *args, **kwargs)


def _compile(rules: list[BlockRule], *, default_action: str) -> Blocklist:
    action = default_action if default_action != "off" else "block"
    usable = []
    for rule in rules:
        try:
            Blocklist([rule], default_action=action)
        except (regex.error, OverflowError, RecursionError):
            log.warning("filter.rule_unusable", rule=rule.label, source=rule.source)
            continue
        usable.append(rule)
    return Blocklist(usable, default_action=action)


def _scope(message: IncomingMessage) -> WorkspaceScope:
    return WorkspaceScope(platform=message.key.platform, workspace=message.key.workspace)


def _blocked(reason: str, user_text: str) -> FilterVerdict:
    return FilterVerdict(allowed=False, text="", reason=reason, user_text=user_text)
