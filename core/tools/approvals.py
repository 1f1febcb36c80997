"""Approval of ``ask`` tools: the asker, and nobody else, approves or declines in their thread.

The core keeps the pending questions; the adapter (``ApprovalPrompter``) only shows the buttons and hands
every click back to ``click``, which checks that the person who clicked is the one who asked. No answer
within the time limit is a decline. A process that has no prompter (the terminal) declines at once.

The question lives in this process: a click that reaches another process (Slack over HTTP behind several
workers) finds no question there and is told so.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

import structlog

from core.messages import ConversationKey
from core.ports import ApprovalPrompter
from core.tools.values import ApprovalPrompt, ApprovalVerdict, ClickResult

log = structlog.get_logger(__name__)


@dataclass
class _Pending:
    prompt: ApprovalPrompt
    answer: asyncio.Future[ApprovalVerdict]


class ApprovalDesk:
    def __init__(self) -> None:
        self._prompter: ApprovalPrompter | None = None
        self._pending: dict[str, _Pending] = {}

    def attach(self, prompter: ApprovalPrompter) -> None:
        """The adapter that shows questions (set when the adapter starts)."""
        self._prompter = prompter

    @property
    def pending(self) -> tuple[ApprovalPrompt, ...]:
        return tuple(p.prompt for p in self._pending.values())

    async def ask(self, *, key: ConversationKey, asker: str, tool: str, arguments: str, timeout: float) -> ApprovalVerdict:
        if self._prompter is None:
            return ApprovalVerdict("declined")
        prompt = ApprovalPrompt(
            id=secrets.token_hex(8), key=key, asker=asker, tool=tool, arguments=arguments, timeout=timeout,
        )
        pending = _Pending(prompt, asyncio.get_running_loop().create_future())
        self._pending[prompt.id] = pending
        verdict = ApprovalVerdict("timeout")
        try:
            await self._prompter.show(prompt)
            verdict = await asyncio.wait_for(asyncio.shield(pending.answer), timeout)
        except TimeoutError:
            verdict = ApprovalVerdict("timeout")
        finally:
            self._pending.pop(prompt.id, None)
            log.info("tools.approval", tool=tool, outcome=verdict.outcome, by=verdict.by)
            try:
                await self._prompter.close(prompt, verdict)
            except Exception:  # the verdict stands even if the buttons could not be replaced
                log.exception("tools.approval_close_failed", tool=tool)
        return verdict

    def click(self, approval_id: str, *, user: str, approve: bool) -> ClickResult:
        """A button pressed: ``done`` (recorded), ``not_yours`` (someone else's question), ``unknown`` (over)."""
        pending = self._pending.get(approval_id)
        if pending is None or pending.answer.done():
            return "unknown"
        if user != pending.prompt.asker:
            log.info("tools.approval_refused", tool=pending.prompt.tool, by=user)
            return "not_yours"
        pending.answer.set_result(ApprovalVerdict("approved" if approve else "declined", by=user))
        return "done"


NOT_YOURS_TEXT = "Only the person who asked can approve or decline this tool call."
GONE_TEXT = "This question is no longer open (it was answered, timed out, or belongs to another process)."
