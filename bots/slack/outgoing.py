"""Text Parley sends to Slack: escaped where Slack reads mrkdwn, and never notifying anybody.

Two syntaxes reach Slack.  mrkdwn (``text`` of command replies, section
blocks, file comments) reads ``<…>`` as a link or mention, so ``&``, ``<`` and
``>`` are sent as ``&amp;`` ``&lt;`` ``&gt;`` (``/parley retention <days|off>``
would otherwise show as a link), and the core's ``**bold**`` becomes ``*bold*``.
Markdown (``markdown_text``: answers, streams, notes) is Slack's to translate
and stays as written, except mentions.

Nothing Parley posts pings: a broadcast (``<!here>``, ``<!channel>``,
``<!everyone>``, ``<!subteam^ID>``), a user mention (``<@U…>``), also
entity-escaped, and the words ``@here``, ``@channel``, ``@everyone`` get an
invisible WORD JOINER after their ``<`` or ``@``: the reader sees the same text,
Slack sees no mention.  A mention never spans whitespace, so ``defuse`` of a
prefix cut at whitespace is a prefix of ``defuse`` of the whole text (what
streaming needs).
"""

from __future__ import annotations

import re

from core.text_split import split_markdown

WORD_JOINER = "\u2060"
_MENTION_OPENING = re.compile(r"(<|&lt;)(?=!(?:here|channel|everyone|subteam\^)|@[UW][A-Z0-9])", re.IGNORECASE)
_BROADCAST_WORD = re.compile(r"(?<![\w@])@(?=(?:here|channel|everyone)(?!\w))", re.IGNORECASE)
_MARKDOWN_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)


def defuse(text: str) -> str:
    """``text`` with every mention made inert (see the module's docstring)."""
    return _defuse_words(_MENTION_OPENING.sub(lambda m: m.group(1) + WORD_JOINER, text))


def _defuse_words(text: str) -> str:
    return _BROADCAST_WORD.sub("@" + WORD_JOINER, text)


def escape(text: str) -> str:
    """Slack's three control characters as entities (``&`` first, so no entity is escaped twice)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(markdown: str) -> str:
    """The core's Markdown for a place Slack reads mrkdwn: escaped (so no ``<…>`` mention is left), ``**b**`` →
    ``*b*``, the words ``@here`` … inert."""
    return _defuse_words(_MARKDOWN_BOLD.sub(r"*\1*", escape(markdown)))


def markdown(text: str) -> str:
    """Text for ``markdown_text``: as written, no mention."""
    return defuse(text)


def up_to_whitespace(text: str) -> str:
    """``text`` without its last, possibly unfinished, word (what may be shown while more text arrives)."""
    cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
    return text[:cut] if cut > 0 else ""


ADVISED_TEXT = 4_000  # Slack: keep a message's ``text`` under 4,000 characters (40,000 are cut off)


def mrkdwn_pieces(markdown: str, *, limit: int = ADVISED_TEXT) -> list[str]:
    """The core's Markdown as mrkdwn messages of at most ``limit`` characters each (code blocks kept whole)."""
    size = limit
    while True:
        pieces = [mrkdwn(piece) for piece in split_markdown(markdown, limit=size)]
        if all(len(piece) <= limit for piece in pieces):  # escaping lengthens: split smaller until it fits
            return pieces
        size = max(100, size * 3 // 4)
