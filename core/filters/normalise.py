"""A copy of a text to match filters on: what a person reads, not how it was typed.

Zero-width spaces, soft hyphens and other format characters are dropped,
each character is put in Unicode NFKC form (fullwidth ``ｂａｄ`` → ``bad``,
ligatures, math letters), and look-alike letters from other scripts are
folded to the Latin letter or digit they are confused with (Cyrillic ``а``,
Greek ``ο`` …; Unicode's confusables table, from ``confusable-homoglyphs``).
Every character of the copy remembers where it came from, so a match on the
copy redacts the right span of the original text.  Plain ASCII text (most
messages) is its own copy and costs nothing.

The folding applies to the copy only: a Russian word that happens to fold
onto a blocklisted Latin word matches it.  That is the price of catching
look-alikes, and why blocklist words should be specific.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    origin: tuple[int, ...] | None = None  # origin[i]: where text[i] came from; None: text is the original
    original_length: int = 0

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span for the copy's ``[start, end)``."""
        if self.origin is None:
            return start, end
        if start >= end:
            at = self.origin[start] if start < len(self.origin) else self.original_length
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    if text.isascii():
        return Normalised(text, None, len(text))
    fold = _fold_table()
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":  # zero-width space/joiner, soft hyphen, bidi marks …
            continue
        for piece in unicodedata.normalize("NFKC", char) if not char.isascii() else char:
            out.append(fold.get(piece, piece))
            origin.append(index)
    copy = "".join(out)
    if copy == text:
        return Normalised(text, None, len(text))
    return Normalised(copy, tuple(origin), len(text))


def replace_spans(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """Replace each ``(start, end, replacement)`` of ``text``; overlapping spans merge (the first's replacement)."""
    merged: list[list] = []
    for start, end, replacement in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, replacement])
    out, position = [], 0
    for start, end, replacement in merged:
        out.append(text[position:start] + replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


@functools.cache
def _fold_table() -> dict[str, str]:
    """Non-ASCII character → the ASCII letter or digit it is confused with (loaded once, on first use).

    Where the table offers several (Cyrillic ``І`` looks like ``l``, ``I`` and ``1``), a letter of the
    same case wins, then any letter, then a digit.
    """
    from confusable_homoglyphs.confusables import confusables_data

    candidates: dict[str, set[str]] = {}
    for char, glyphs in confusables_data.items():
        if len(char) != 1:
            continue
        for glyph in glyphs:
            other = glyph["c"]
            if len(other) != 1:
                continue
            if char.isascii() and char.isalnum() and not other.isascii():
                candidates.setdefault(other, set()).add(char)
            elif not char.isascii() and other.isascii() and other.isalnum():
                candidates.setdefault(char, set()).add(other)
    return {char: min(options, key=lambda o: _preference(char, o)) for char, options in candidates.items()}


def _preference(char: str, ascii_char: str) -> tuple[int, str]:
    same_case = ascii_char.isalpha() and ascii_char.isupper() == char.isupper()
    return (0 if same_case else 1 if ascii_char.isalpha() else 2, ascii_char)
