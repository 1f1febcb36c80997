"""An AttachmentFetcher that serves files from a dict (by ``ref``) and records what it was asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.files.values import FileTooLarge, FileUnavailable
from core.messages import Attachment


@dataclass
class FakeFetcher:
    files: dict[str, bytes] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def add(self, name: str, data: bytes, *, mime_type: str = "", size: int | None = None) -> Attachment:
        ref = f"file://{len(self.files)}/{name}"
        self.files[ref] = data
        return Attachment(name=name, mime_type=mime_type, size=len(data) if size is None else size, ref=ref)

    async def fetch(self, attachment: Attachment, *, workspace: str, max_bytes: int) -> bytes:
        self.asked.append(attachment.ref)
        if attachment.ref not in self.files:
            raise FileUnavailable("the platform would not give it to me")
        data = self.files[attachment.ref]
        if len(data) > max_bytes:
            raise FileTooLarge("over the limit")
        return data
