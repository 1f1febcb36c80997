"""What people read about their files: the labels around a file's text and the footer lines."""

from __future__ import annotations

from core.files.kinds import READABLE


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:.0f} KB"
    return f"{size} bytes"


def file_block(name: str, text: str, *, note: str = "") -> str:
    """A file's text as the model and the stored turn see it: labelled with its name."""
    head = f"[File: {name}{' (' + note + ')' if note else ''}]"
    return f"{head}\n{text}\n[End of file: {name}]"


def image_note(names: list[str]) -> str:
    """The line the turn keeps instead of the images (which are never stored)."""
    return "[Images attached: " + ", ".join(names) + "]"


def cut_notice(name: str, *, kept: int, limit_kind: str) -> str:
    return f"`{name}` was cut to its first {kept:,} characters ({limit_kind})."


def too_large_notice(name: str, *, size: int | None, limit: int) -> str:
    """``size`` None: found while downloading (the platform's size was wrong or missing)."""
    what = f"it is {size_text(size)}" if size is not None else "it is larger than that"
    return f"`{name}` was not read: {what}, and the limit is {size_text(limit)} per file."


def unsupported_notice(name: str, mime: str) -> str:
    what = f" ({mime})" if mime else ""
    return f"`{name}` was not read: I can't read this kind of file{what}. I read {READABLE}."


def unreadable_notice(name: str, reason: str) -> str:
    return f"`{name}` was not read: {reason}."


def message_full_notice(names: list[str], *, limit: int) -> str:
    return f"{_listed(names)} not read: the files of one message may give at most {limit:,} characters."


def too_many_files_notice(names: list[str], *, limit: int) -> str:
    return f"{_listed(names)} not read: I read at most {limit} files of one message."


def too_many_images_notice(names: list[str], *, limit: int) -> str:
    return f"{_listed(names)} not shown to the model: at most {limit} images go with one message."


def scaled_notice(name: str, *, side: int) -> str:
    return f"`{name}` was scaled down to fit {side:,} × {side:,} pixels."


def no_vision_notice(names: list[str], *, persona: str, model: str, local: bool) -> str:
    if local:
        return f"The local model can't see images: {_listed(names)} not shown to it."
    return (
        f"Persona `{persona}`'s model `{model}` doesn't take images: {_listed(names)} not shown to it "
        "(an admin can set `vision=on` if it does)."
    )


def no_fetcher_notice(names: list[str]) -> str:
    return f"{_listed(names)} not read: files can't be read here."


def pdf_pages_notice(name: str, *, read: int, total: int) -> str:
    return f"`{name}`: only its first {read:,} of {total:,} pages were read."


def _listed(names: list[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    if len(quoted) == 1:
        return quoted[0] + " was"
    return ", ".join(quoted[:-1]) + " and " + quoted[-1] + " were"
