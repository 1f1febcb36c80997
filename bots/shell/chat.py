"""The terminal chat: each line is a message on platform "shell", answers stream in."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import TextIO

from core.admin import Actor, CommandFile
from core.assembly import Core
from core.commands import split_command_line
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind, ReplyEvent, TextDelta
from core.tools.values import ToolProgress
from core.records import PendingMessage

PLATFORM = "shell"
WORKSPACE = "local"
CHANNEL = "terminal"
# /reset = /parley reset, and so on
SHORT_ALIASES = frozenset({
    "reset", "usage", "help", "forget-me", "retention", "memory", "export", "limits", "filter", "feedback", "access",
    "summon", "model", "tools", "summarize",
})
QUIT = {"quit", "exit"}
PROMPT = "you> "


class ShellChat:
    """One terminal user, who is an admin, in one DM-like conversation with Parley."""

    def __init__(self, core: Core, *, out: TextIO, user: str | None = None, files_dir: Path | None = None) -> None:
        self._core = core
        self._out = out
        self._user = user or _login_name()
        self._files_dir = files_dir  # where files from commands go (/export); None: the current directory
        self._key = ConversationKey(platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL)

    @property
    def actor(self) -> Actor:
        return Actor(
            platform=PLATFORM, workspace=WORKSPACE, channel=CHANNEL, user=self._user, is_admin=True, is_dm=True
        )

    async def run(self, lines: AsyncIterator[str]) -> None:
        self._write(PROMPT)
        async for line in lines:
            line = line.rstrip("\n")
            command = split_command_line(line)
            if command is not None and command[0] in QUIT:
                break
            if command is not None:
                await self._command(*command)
            elif line.strip():
                await self._message(line)
            self._write(PROMPT)
        self._write("\n")

    async def _command(self, name: str, args: str) -> None:
        if name in SHORT_ALIASES:
            name, args = "parley", f"{name} {args}".strip()
        if name not in ("persona", "parley"):
            self._write(f"Unknown command /{name}. Try /help.\n")
            return
        reply = await self._core.commands.run(self.actor, name, args)
        self._write(reply.text + "\n")
        if reply.file is not None:
            self._write(f"Saved to {self._save(reply.file)}\n")

    def _save(self, file: CommandFile) -> Path:
        """Write the file into the files directory (never over an existing file); returns its path."""
        folder = (self._files_dir or Path.cwd()).resolve()
        path = folder / Path(file.filename).name
        stem, n = path.stem, 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}{path.suffix}"
        path.write_bytes(file.content)
        return path

    async def _message(self, text: str) -> None:
        message = IncomingMessage(
            event_id=str(uuid.uuid4()), key=self._key, user=self._user, text=text, is_dm=True, user_name=self._user
        )
        self._write("parley> ")
        await self._show(self._core.chat.handle(message))

    async def redeliver(self, pending: PendingMessage, replies: AsyncIterator[ReplyEvent]) -> None:
        """A message a chat that was killed did not finish: answered here, late (the Redelivery port)."""
        when = f"{pending.received_at.astimezone():%H:%M}"
        self._write(f"\nparley> (your message of {when} was not answered when Parley stopped) ")
        await self._show(replies)
        self._write(PROMPT)

    async def apologise(self, pending: PendingMessage, text: str) -> None:
        self._write(f"\nparley> {text}\n{PROMPT}")

    async def _show(self, events: AsyncIterator[ReplyEvent]) -> None:
        streamed = ""
        async with aclosing(events) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    self._write(event.text)
                    streamed += event.text
                elif isinstance(event, ToolProgress):
                    self._write(f"\n[tool {event.tool}: {event.state}]\n")
                else:
                    self._finish(event, streamed=streamed)

    def _finish(self, outcome: Outcome, *, streamed: str) -> None:
        if outcome.kind is OutcomeKind.ANSWERED:
            self._write("\n")
            if outcome.text != streamed.strip():  # an output filter redacted part of it: show what stands
                self._write(f"[edited] {outcome.text}\n")
            for notice in outcome.notices:
                self._write(f"  ({notice})\n")
            return
        if streamed:  # an answer that failed or was held back midway is withdrawn
            self._write("\n[withdrawn] ")
        self._write(outcome.text + "\n")

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
