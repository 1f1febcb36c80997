"""What the stand-in Slack keeps: the calls it received, the messages posted or streamed, uploaded files."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]
    token: str | None
    response: dict[str, Any] = field(default_factory=dict)  # what the stand-in answered
    status: int = 200
    at: float = field(default_factory=time.monotonic)  # when it was answered (benchmarks time answers by it)


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str | None = None  # set by files.completeUploadExternal
    comment: str = ""
    thread_ts: str | None = None  # shared in this thread (files.completeUploadExternal's thread_ts)


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    thread_ts: str | None = None
    user: str = ""
    streaming: bool = False
    pieces: list[str] = field(default_factory=list)  # every text piece a stream received
    stream_started: float | None = None  # the stand-in's clock at chat.startStream
    expired: bool = False  # its stream timed out unstopped: a "broken" message until chat.update replaces it
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Block Kit blocks (checked: ``blocks.py``)
    fallback: str = ""  # the ``text`` sent with blocks (notifications), when the blocks hold the message
    tasks: dict = field(default_factory=dict)  # a stream's task_update chunks: id → (title, status)


@dataclass(frozen=True)
class EphemeralMessage:
    """A chat.postEphemeral: ``visible`` is False when Slack shows it to nobody (a thread with no reply yet)."""

    channel: str
    user: str
    text: str
    thread_ts: str | None
    visible: bool
