"""The terminal chat: each line is a message on platform "shell", answers stream in."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import AsyncIterator
from typing import TextIO

from core.admin import Actor
from core.assembly import Core
from core.commands import split_command_line
from core.messages import ConversationKey, IncomingMessage, Outcome, OutcomeKind, TextDelta

PLATFORM = "shell"
WORKSPACE = "local"
CHANNEL = "terminal"
SHORT_ALIASES = frozenset({"reset", "usage", "help", "forget-me", "retention"})  # /reset = /parley reset
QUIT = {"quit", "exit"}
PROMPT = "you> "


class ShellChat:
    """One terminal user, who is an admin, in one DM-like conversation with Parley."""

    def __init__(self, core: Core, *, out: TextIO, user: str | None = None) -> None:
        self._core = core
        self._out = out
        self._user = user or _login_name()
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

    async def _message(self, text: str) -> None:
        message = IncomingMessage(
            event_id=str(uuid.uuid4()), key=self._key, user=self._user, text=text, is_dm=True, user_name=self._user
        )
        self._write("parley> ")
        streamed = False
        async for event in self._core.chat.handle(message):
            if isinstance(event, TextDelta):
                self._write(event.text)
                streamed = True
            else:
                self._finish(event, streamed=streamed)

    def _finish(self, outcome: Outcome, *, streamed: bool) -> None:
        if outcome.kind is OutcomeKind.ANSWERED:
            self._write("\n")
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
