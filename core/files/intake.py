"""Reading a message's attached files into its request (``FileIntake.read``).

Text files and PDFs become labelled text (within ``max_file_chars`` per file and ``max_message_chars`` per
message; what is cut or left out is said in the footer); images become image parts when the persona's model
takes images (``vision``), else the footer says they were not shown.  Every file that is not read gets a
footer line naming it and why; the question is answered anyway.  Only the adapter's ``AttachmentFetcher``
downloads, and only the files of the message itself: no URL in any text is ever fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

import structlog

from core.files import texts
from core.files.extract import decode_text, pdf_text
from core.files.images import prepare_image
from core.files.kinds import confirmed, kind_of, safe_name
from core.files.values import FileKind, FileLimits, FileTooLarge, FileUnavailable, ReadFiles, VisionPolicy
from core.llm_types import ChatMessage, ImagePart
from core.messages import Attachment, IncomingMessage
from core.personas.values import Persona
from core.ports import AttachmentFetcher

log = structlog.get_logger(__name__)


@dataclass
class _Running:
    """The running totals while a message's files are read."""

    workspace: str = ""  # the message's: the fetcher reads its files with that workspace's access
    chars: int = 0
    images: int = 0
    files: int = 0
    blocks: list[str] = field(default_factory=list)
    parts: list[ImagePart] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    image_names: list[str] = field(default_factory=list)


class FileIntake:
    def __init__(self, *, limits: FileLimits, vision: VisionPolicy) -> None:
        self._limits = limits
        self._vision = vision
        self._fetchers: dict[str, AttachmentFetcher] = {}

    def serve(self, platform: str, fetcher: AttachmentFetcher) -> None:
        """The adapter of ``platform`` fetches its files with ``fetcher`` (called once, when it is built)."""
        self._fetchers[platform] = fetcher

    def takes_images(self, persona: Persona) -> bool:
        if not self._vision.llm_takes_images or persona.vision == "off":
            return False
        if persona.vision == "on":
            return True
        model = persona.model.lower()
        return any(fnmatchcase(model, pattern.lower()) for pattern in self._vision.models)

    async def read(self, message: IncomingMessage, *, persona: Persona, event_log=log) -> ReadFiles:
        """The message's files read into text, image parts and footer lines (never raises for a file)."""
        limits, run = self._limits, _Running(workspace=message.key.workspace)
        fetcher = self._fetchers.get(message.key.platform)
        named = [(safe_name(a.name), a, kind_of(a)) for a in message.attachments]
        if fetcher is None:
            return ReadFiles(notices=(texts.no_fetcher_notice([name for name, _, _ in named]),))
        skipped: dict[str, list[str]] = {"many": [], "full": [], "images": [], "blind": []}
        vision = self.takes_images(persona)
        for name, attachment, kind in named:
            if run.files >= limits.max_files:
                skipped["many"].append(name)
            elif kind is FileKind.UNSUPPORTED:
                run.notices.append(texts.unsupported_notice(name, attachment.mime_type))
            elif kind is FileKind.IMAGE:
                run.image_names.append(name)
                if not vision:
                    skipped["blind"].append(name)
                elif run.images >= limits.image_max_count:
                    skipped["images"].append(name)
                else:
                    run.files += 1
                    await self._image(fetcher, attachment, name, run)
            elif run.chars >= limits.max_message_chars:
                skipped["full"].append(name)
            else:
                run.files += 1
                await self._text(fetcher, attachment, name, kind, run)
        run.notices.extend(self._skipped_notices(skipped, persona))
        event_log.info(
            "files.read", attachments=len(named), read=run.files, chars=run.chars, images=len(run.parts),
            notices=len(run.notices),
        )
        blocks = list(run.blocks)
        if run.image_names:
            blocks.append(texts.image_note(run.image_names))
        return ReadFiles(
            text="\n\n".join(blocks), images=tuple(run.parts), notices=tuple(run.notices),
        )

    async def _text(self, fetcher: AttachmentFetcher, attachment: Attachment, name: str, kind: FileKind, run: _Running) -> None:
        limits = self._limits
        data = await self._fetch(fetcher, attachment, name, max_bytes=limits.max_file_bytes, run=run)
        if data is None:
            return
        if not confirmed(kind, data):
            run.notices.append(texts.unreadable_notice(name, "its content is not text" if kind is FileKind.TEXT
                                                       else "it is not a PDF"))
            return
        room = min(limits.max_file_chars, limits.max_message_chars - run.chars)
        try:
            if kind is FileKind.PDF:
                text, read, total = await asyncio.to_thread(pdf_text, data, max_pages=limits.max_pdf_pages, max_chars=room)
                if read < total and len(text) <= room:
                    run.notices.append(texts.pdf_pages_notice(name, read=read, total=total))
            else:
                text = await asyncio.to_thread(decode_text, data)
        except FileUnavailable as refused:
            run.notices.append(texts.unreadable_notice(name, str(refused)))
            return
        note = ""
        if len(text) > room:
            text = text[:room]
            per_file = room == limits.max_file_chars
            limit_kind = "the limit per file" if per_file else "the limit for all files of one message"
            run.notices.append(texts.cut_notice(name, kept=room, limit_kind=limit_kind))
            note = f"cut to its first {room:,} characters"
        if not text:
            run.notices.append(texts.unreadable_notice(name, "it has no text I can read"))
            return
        run.chars += len(text)
        run.blocks.append(texts.file_block(name, text, note=note))

    async def _image(self, fetcher: AttachmentFetcher, attachment: Attachment, name: str, run: _Running) -> None:
        limits = self._limits
        data = await self._fetch(fetcher, attachment, name, max_bytes=limits.image_max_bytes, run=run)
        if data is None:
            return
        try:
            part, scaled = await asyncio.to_thread(prepare_image, data, name=name, max_side=limits.image_max_side)
        except FileUnavailable as refused:
            run.notices.append(texts.unreadable_notice(name, str(refused)))
            return
        if scaled:
            run.notices.append(texts.scaled_notice(name, side=limits.image_max_side))
        run.images += 1
        run.parts.append(part)

    async def _fetch(
        self, fetcher: AttachmentFetcher, attachment: Attachment, name: str, *, max_bytes: int, run: _Running
    ) -> bytes | None:
        """The file's bytes, or None with the footer line saying why (too large: said before any download)."""
        if attachment.size > max_bytes:
            run.notices.append(texts.too_large_notice(name, size=attachment.size, limit=max_bytes))
            return None
        try:
            data = await fetcher.fetch(attachment, workspace=run.workspace, max_bytes=max_bytes)
        except FileTooLarge:
            run.notices.append(texts.too_large_notice(name, size=None, limit=max_bytes))
            return None
        except FileUnavailable as refused:
            log.info("files.unavailable", reason=str(refused))
            run.notices.append(texts.unreadable_notice(name, str(refused) or "the platform would not give it to me"))
            return None
        if len(data) > max_bytes:
            run.notices.append(texts.too_large_notice(name, size=len(data), limit=max_bytes))
            return None
        return data

    def _skipped_notices(self, skipped: Mapping[str, list[str]], persona: Persona) -> list[str]:
        limits, notices = self._limits, []
        if skipped["blind"]:
            notices.append(texts.no_vision_notice(
                skipped["blind"], persona=persona.name, model=persona.model, local=not self._vision.llm_takes_images,
            ))
        if skipped["images"]:
            notices.append(texts.too_many_images_notice(skipped["images"], limit=limits.image_max_count))
        if skipped["full"]:
            notices.append(texts.message_full_notice(skipped["full"], limit=limits.max_message_chars))
        if skipped["many"]:
            notices.append(texts.too_many_files_notice(skipped["many"], limit=limits.max_files))
        return notices


def with_files(text: str, files: ReadFiles) -> str:
    """The message's text followed by its files' labelled text (what is filtered, sent and stored)."""
    return f"{text}\n\n{files.text}".strip() if files.text else text


def with_images(messages: tuple[ChatMessage, ...], images: tuple[ImagePart, ...]) -> tuple[ChatMessage, ...]:
    """The request's messages with ``images`` going with the new (last) message."""
    if not images or not messages:
        return messages
    return (*messages[:-1], replace(messages[-1], images=images))
