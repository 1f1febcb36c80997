"""The values of attached files: the limits (settings), what was read, and the errors a fetcher raises."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.llm_types import ImagePart

DEFAULT_VISION_MODELS = (
    "gpt-4o", "gpt-4o-*", "chatgpt-4o-*", "gpt-4.1", "gpt-4.1-*", "gpt-4-turbo", "gpt-4-turbo-*", "gpt-5", "gpt-5-*",
    "o1", "o3", "o3-*", "o4-mini", "o4-mini-*",
)


class FileUnavailable(Exception):
    """The platform would not give the file (no access, gone, another host). The text is for the footer's
    reason and the log: no secret, no URL."""


class FileTooLarge(FileUnavailable):
    """The file is over the size limit (found while downloading)."""


class FileKind(enum.Enum):
    TEXT = "text"
    PDF = "pdf"
    IMAGE = "image"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class FileLimits:
    """ATTACHMENT_* and IMAGE_* settings."""

    max_file_bytes: int = 5_000_000  # a text or PDF file larger than this is not downloaded
    max_file_chars: int = 20_000  # text taken from one file
    max_message_chars: int = 40_000  # text taken from all the files of one message
    max_files: int = 10  # files read per message (text and images together)
    image_max_bytes: int = 10_000_000  # an image larger than this is not downloaded
    image_max_count: int = 4  # images sent with one message
    image_max_side: int = 2_048  # pixels; larger images are scaled down to fit
    max_pdf_pages: int = 100


@dataclass(frozen=True, slots=True)
class VisionPolicy:
    """Which models take images (VISION_MODELS, ``*`` patterns) and whether the LLM can at all (the local
    model cannot)."""

    models: tuple[str, ...] = DEFAULT_VISION_MODELS
    llm_takes_images: bool = True


@dataclass(frozen=True, slots=True)
class ReadFiles:
    """What a message's files gave: labelled text (with a line naming the images) for the request and the
    stored turn, image parts for this request only, and footer lines."""

    text: str = ""
    images: tuple[ImagePart, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def image_tokens(self) -> int:
        return sum(image.tokens for image in self.images)
