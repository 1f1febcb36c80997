"""What kind of file an attachment is: text we read, a PDF, an image, or something we do not read.

Decided from the name's extension and the platform's mime type before anything is downloaded, and checked
again on the bytes (``confirmed``): a ``.png`` that is not a PNG is not sent as an image, a "text" file full
of NUL bytes is not read as text.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from core.files.values import FileKind
from core.messages import Attachment

TEXT_EXTENSIONS = frozenset({
    "txt", "text", "md", "markdown", "rst", "csv", "tsv", "json", "jsonl", "ndjson", "yaml", "yml", "toml", "ini",
    "cfg", "conf", "env", "log", "xml", "html", "htm", "svg", "sql", "graphql", "proto", "tex",
    # source code
    "py", "pyi", "js", "mjs", "cjs", "ts", "tsx", "jsx", "java", "kt", "kts", "scala", "groovy", "gradle", "c", "h",
    "cc", "cpp", "cxx", "hpp", "hh", "cs", "fs", "go", "rs", "rb", "php", "pl", "pm", "lua", "r", "jl", "swift",
    "m", "mm", "dart", "ex", "exs", "erl", "hrl", "hs", "clj", "cljs", "elm", "ml", "mli", "nim", "zig", "v",
    "sh", "bash", "zsh", "fish", "ps1", "bat", "cmd", "css", "scss", "sass", "less", "vue", "svelte", "tf", "hcl",
    "dockerfile", "makefile", "cmake", "diff", "patch", "ipynb",
})
TEXT_NAMES = frozenset({"dockerfile", "makefile", "readme", "license", "procfile", "gemfile", "rakefile"})
TEXT_MIME_TYPES = frozenset({
    "application/json", "application/x-ndjson", "application/yaml", "application/x-yaml", "application/toml",
    "application/xml", "application/javascript", "application/x-javascript", "application/typescript",
    "application/x-sh", "application/x-python", "application/sql", "application/x-httpd-php", "image/svg+xml",
})
IMAGE_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
IMAGE_MIME_TYPES = frozenset(IMAGE_EXTENSIONS.values())
PDF_MIME_TYPES = frozenset({"application/pdf", "application/x-pdf"})
READABLE = "text, Markdown, CSV, JSON, YAML, source code, PDF, and PNG, JPEG, GIF or WebP images"


def kind_of(attachment: Attachment) -> FileKind:
    """The kind the platform's description says (nothing downloaded)."""
    mime = attachment.mime_type.split(";")[0].strip().lower()
    path = PurePosixPath(attachment.name.lower())
    extension = path.suffix.lstrip(".")
    if mime in IMAGE_MIME_TYPES or (extension in IMAGE_EXTENSIONS and mime in ("", "application/octet-stream")):
        return FileKind.IMAGE
    if mime in PDF_MIME_TYPES or extension == "pdf":
        return FileKind.PDF
    if extension in TEXT_EXTENSIONS or path.name in TEXT_NAMES:
        return FileKind.TEXT
    if mime.startswith("text/") or mime in TEXT_MIME_TYPES:
        return FileKind.TEXT
    return FileKind.UNSUPPORTED


def confirmed(kind: FileKind, data: bytes) -> bool:
    """The bytes are what the kind says: a PDF starts with ``%PDF-`` (within its first KB); text has no NUL
    byte (unless it is UTF-16 with its byte-order mark). Images are checked when they are decoded."""
    if kind is FileKind.PDF:
        return b"%PDF-" in data[:1024]
    if kind is FileKind.TEXT:
        return data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in data[:65_536]
    return True


def safe_name(name: str) -> str:
    """A file name fit to label text with and to show in a footer (in backticks): one line, no backtick, at
    most 100 characters."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in name).strip()
    cleaned = cleaned.replace("`", "'")
    cleaned = " ".join(cleaned.split())[:100]
    return cleaned or "unnamed file"
