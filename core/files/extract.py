"""Text out of a file's bytes: decoded text files, and PDFs through pypdf (run off the event loop)."""

from __future__ import annotations

import codecs
import io

from core.chat.input_text import clean_text, valid_text
from core.files.values import FileUnavailable


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without its BOM), UTF-16 with its BOM; bytes that are neither become U+FFFD."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8-sig", errors="replace")
    return clean_text(valid_text(text))


def pdf_text(data: bytes, *, max_pages: int, max_chars: int) -> tuple[str, int, int]:
    """The text of a PDF's first pages until ``max_chars`` is passed: (text, pages read, pages in all).

    Blocking (pypdf is pure Python): call it in a thread. Raises FileUnavailable for a damaged or
    password-protected file.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileUnavailable("it is protected by a password")
        total = len(reader.pages)
        pieces: list[str] = []
        chars = read = 0
        for page in reader.pages[:max_pages]:
            piece = page.extract_text() or ""
            pieces.append(piece)
            read += 1
            chars += len(piece)
            if chars > max_chars:
                break
    except FileUnavailable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError, NotImplementedError):
        raise FileUnavailable("the PDF looks damaged; I could not read its text") from None
    return clean_text(valid_text("\n\n".join(pieces))), read, total
