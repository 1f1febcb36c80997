"""``/parley reset | retention | memory | export | forget-me``: audited actions on a channel's memory
and on a person's stored data."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.admin import Actor, AdminError, AdminPolicy, CommandFile, CommandHandler, CommandReply, problem, record_change, where
from core.channels.forgetting import ForgetMeLedger
from core.channels.export import (
    EXPORT_MAX_BYTES, EXPORT_MAX_FEEDBACK, EXPORT_MAX_TURNS, JSONL_MIME_TYPE, export_filename, feedback_as_jsonl,
    settings_as_jsonl, turns_as_jsonl,
)
from core.ports import AccessStore, AuditLog, ChannelSettingsStore, Clock, ConversationStore, FeedbackStore, ToolCallLog

MAX_RETENTION_DAYS = 36_500


class ChannelAdmin:
    def __init__(
        self,
        *,
        conversations: ConversationStore,
        settings: ChannelSettingsStore,
        audit: AuditLog,
        policy: AdminPolicy,
        clock: Clock,
        forgotten: ForgetMeLedger,
        feedback: FeedbackStore | None = None,
        access: AccessStore | None = None,
        tool_calls: ToolCallLog | None = None,
    ) -> None:
        self._feedback = feedback
        self._access = access  # people's model choices: reset and forget-me remove them too
        self._tool_calls = tool_calls  # the person's tool calls go with their turns (forget-me)
        self._forgotten = forgotten
        self._conversations = conversations
        self._settings = settings
        self._audit = audit
        self._policy = policy
        self._clock = clock

    def commands(self) -> dict[str, CommandHandler]:
        """The ``/parley`` subcommands this feature answers."""
        return {
            "reset": self._reset_command, "forget-me": self._forget_me_command, "retention": self._retention_command,
            "memory": self._memory_command, "export": self._export_command,
        }

    async def _reset_command(self, actor: Actor, args: str) -> CommandReply:
        deleted = await self.reset(actor)
        return CommandReply(f"Done: I forgot this {where(actor)}'s memory ({deleted} messages) and its feedback.")

    async def _forget_me_command(self, actor: Actor, args: str) -> CommandReply:
        deleted = await self.forget_user(actor)
        return CommandReply(
            f"Done: I deleted {deleted} stored messages of yours in this workspace, and your feedback on answers."
        )

    async def _retention_command(self, actor: Actor, args: str) -> CommandReply:
        days = _parse_retention(args)
        if days is False:
            return problem("Usage: `/parley retention <days>` (0 keeps nothing after answering) or `/parley retention off`.")
        await self.set_retention(actor, days)
        kept = "forever" if days is None else f"for {days} days" if days else "only while answering"
        return CommandReply(f"This channel's messages are now kept {kept}.")

    async def _memory_command(self, actor: Actor, args: str) -> CommandReply:
        value = args.strip().lower()
        if value not in ("on", "off"):
            return problem(
                "Usage: `/parley memory off` (answer from each message alone, store nothing) or `/parley memory on`."
            )
        await self.set_memory(actor, value == "on")
        if value == "on":
            return CommandReply(f"Memory is on in this {where(actor)}: I remember earlier messages of each conversation.")
        return CommandReply(
            f"Memory is off in this {where(actor)}: I answer from each message alone and store nothing. "
            "What was stored before stays until `/parley reset` or retention removes it."
        )

    async def _export_command(self, actor: Actor, args: str) -> CommandReply:
        export = await self.export(actor)
        if export.turns == 0 and export.feedback == 0:
            return CommandReply(f"Nothing is stored for this {where(actor)}, so there is nothing to export.")
        text = f"This {where(actor)}'s {export.turns:,} stored messages, as JSON lines (`{export.filename}`)."
        if export.feedback:
            text += f" After them, {export.feedback:,} ratings of answers (`\"record\": \"feedback\"`)."
        if export.truncated:
            text += " The export holds the oldest of them only: it would be too large otherwise."
        return CommandReply(text, file=CommandFile(export.filename, export.content, JSONL_MIME_TYPE))

    async def reset(self, actor: Actor) -> int:
        """Forget the channel's conversations (every thread); returns turns deleted."""
        self._policy.require_channel_admin(actor, doing="reset the memory")
        deleted = await self._conversations.delete_channel(actor.channel_scope)
        ratings = await self._feedback.delete_channel(actor.channel_scope) if self._feedback is not None else 0
        choices = 0 if self._access is None else await self._access.forget_channel_choices(actor.channel_scope)
        await self._record(actor, "channel.reset", actor.channel, after={
            "turns_deleted": deleted, "feedback_deleted": ratings, "model_choices_deleted": choices,
        })
        return deleted

    async def set_retention(self, actor: Actor, days: int | None) -> None:
        """Keep turns ``days`` days (0: none after answering); ``None``: forever."""
        self._policy.require_channel_admin(actor, doing="change how long memory is kept")
        if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
            raise AdminError(f"Retention must be between 0 and {MAX_RETENTION_DAYS:,} days, or `off`.")
        current = await self._settings.get(actor.channel_scope)
        await self._settings.put(actor.channel_scope, replace(current, retention_days=days))
        await self._record(
            actor, "channel.retention", actor.channel,
            before={"retention_days": current.retention_days}, after={"retention_days": days},
        )

    async def set_memory(self, actor: Actor, enabled: bool) -> None:
        """Memory on, or off: answer from the current message alone and store no turns."""
        self._policy.require_channel_admin(actor, doing="turn memory on or off")
        current = await self._settings.get(actor.channel_scope)
        await self._settings.put(actor.channel_scope, replace(current, memory_enabled=enabled))
        await self._record(
            actor, "channel.memory", actor.channel,
            before={"memory_enabled": current.memory_enabled}, after={"memory_enabled": enabled},
        )

    async def export(self, actor: Actor) -> ChannelExport:
        """The channel's stored turns (every thread), for an admin; the export itself is audited."""
        self._policy.require_channel_admin(actor, doing="export the stored messages")
        turns = await self._conversations.channel_turns(actor.channel_scope, limit=EXPORT_MAX_TURNS + 1)
        content, count = turns_as_jsonl(turns[:EXPORT_MAX_TURNS])
        ratings = (
            await self._feedback.channel_feedback(actor.channel_scope, limit=EXPORT_MAX_FEEDBACK)
            if self._feedback is not None else []
        )
        feedback, rated = feedback_as_jsonl(ratings, max_bytes=EXPORT_MAX_BYTES - len(content))
        if self._access is not None:  # the summoning mode and people's model choices stored for this channel
            summoning = await self._access.summoning(actor.channel_scope)
            content += settings_as_jsonl(
                choices=await self._access.channel_choices(actor.channel_scope),
                summoning=None if summoning is None else (summoning.mode.value, summoning.threads.value),
            )
        await self._record(actor, "channel.export", actor.channel, after={"turns": count, "feedback": rated})
        return ChannelExport(
            filename=export_filename(actor.channel_scope, self._clock.now()), content=content + feedback, turns=count,
            truncated=count < len(turns) or rated < len(ratings), feedback=rated,
        )

    async def forget_user(self, actor: Actor) -> int:
        """Delete every stored turn and every rating of the actor in this workspace; returns turns deleted. An answer to one of
        their messages still being generated stores none of it (``ForgetMeLedger``)."""
        self._forgotten.asked(platform=actor.platform, workspace=actor.workspace, user=actor.user, at=self._clock.now())
        deleted = await self._conversations.delete_user(actor.workspace_scope, user=actor.user)
        ratings = await self._feedback.delete_user(actor.workspace_scope, user=actor.user) if self._feedback is not None else 0
        choices = 0 if self._access is None else await self._access.forget_user_choices(
            actor.workspace_scope, user=actor.user
        )
        after = {"turns_deleted": deleted, "feedback_deleted": ratings, "model_choices_deleted": choices}
        if self._tool_calls is not None:
            after["tool_calls_deleted"] = await self._tool_calls.forget_user(actor.workspace_scope, user=actor.user)
        await self._record(actor, "user.forget", actor.user, after=after)
        return deleted

    async def _record(self, actor: Actor, action: str, target: str, *, before=None, after=None) -> None:
        await record_change(
            self._audit, clock=self._clock, actor=actor, action=action, target=target, before=before, after=after
        )


@dataclass(frozen=True, slots=True)
class ChannelExport:
    filename: str
    content: bytes  # JSON lines
    turns: int
    truncated: bool = False  # more than EXPORT_MAX_TURNS were stored
    feedback: int = 0  # ratings of answers, after the turns


def _parse_retention(text: str) -> int | None | bool:
    """Days, None for "keep forever", False when it is neither."""
    text = text.strip().lower()
    if text in ("off", "forever", "never"):
        return None
    return int(text) if text.isascii() and text.isdigit() else False  # not ² or ٣: int() refuses those
