"""``/parley feedback`` (admins): 👍 / 👎 by persona and model over the last 7 and 30 days, and the latest comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.admin import Actor, AdminPolicy, CommandReply, problem
from core.feedback.values import Feedback, FeedbackCount
from core.ports import Clock, FeedbackStore

WINDOWS = (7, 30)  # days
LATEST_COMMENTS = 5
COMMENT_SHOWN_CHARS = 300


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    counts: dict[int, list[FeedbackCount]]  # days → counts by persona and model
    comments: list[Feedback]


class FeedbackAdmin:
    def __init__(self, *, store: FeedbackStore, policy: AdminPolicy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    async def command(self, actor: Actor, args: str) -> CommandReply:
        """``/parley feedback`` (no arguments)."""
        if args.strip():
            return problem("Usage: `/parley feedback` (admins: 👍 / 👎 by persona and model, and the latest comments).")
        return CommandReply(format_report(await self.report(actor)))

    async def report(self, actor: Actor) -> FeedbackReport:
        self._policy.require_admin(actor, doing="see the feedback")
        now = self._clock.now()
        scope = actor.workspace_scope
        counts = {days: await self._store.counts(scope, since=now - timedelta(days=days)) for days in WINDOWS}
        return FeedbackReport(counts=counts, comments=await self._store.latest_comments(scope, limit=LATEST_COMMENTS))


def format_report(report: FeedbackReport) -> str:
    recent, month = (report.counts[days] for days in WINDOWS)
    if not month:
        return "No feedback in the last 30 days."
    week = {(c.persona, c.model): c for c in recent}
    lines = ["**Feedback** (👍 / 👎, last 7 days · last 30 days):"]
    for count in month:
        seven = week.get((count.persona, count.model), FeedbackCount(count.persona, count.model, 0, 0))
        lines.append(
            f"• `{count.persona}` on `{count.model}`: {seven.up} / {seven.down} · {count.up} / {count.down}"
            f" ({_share(count)})"
        )
    if report.comments:
        lines.append("**Latest comments:**")
        lines += [_comment(feedback) for feedback in report.comments]
    return "\n".join(lines)


def _share(count: FeedbackCount) -> str:
    total = count.up + count.down
    return f"{round(100 * count.up / total)}% 👍 of {total}" if total else "none"


def _comment(feedback: Feedback) -> str:
    text = " ".join((feedback.comment or "").split())
    if len(text) > COMMENT_SHOWN_CHARS:
        text = text[: COMMENT_SHOWN_CHARS - 1] + "…"
    answer = feedback.answer
    return f"• {feedback.updated_at:%Y-%m-%d} `{answer.persona}` on `{answer.model}`: “{text}”"
