"""How Slack reads the text of a message: what would ping people, what a reader sees, what is malformed.

Two syntaxes reach Slack.  mrkdwn (``text``, ``mrkdwn`` text objects, file
comments, response_url messages) uses ``<…>`` for links and mentions, so ``&``,
``<`` and ``>`` are control characters that must be sent as ``&amp;`` ``&lt;``
``&gt;``.  Markdown (``markdown_text``, stream chunks) is translated by Slack; it
keeps ``<@U…>`` and ``<!here>`` as mentions.

Pings, read strictly (a stand-in is never more lenient than Slack): ``<!here>``,
``<!channel>``, ``<!everyone>``, ``<!subteam^ID>``, a user mention ``<@U…>``, and
the literal words ``@here`` ``@channel`` ``@everyone`` (Slack links them with
``link_names`` and in Markdown).  In Markdown an entity-escaped ``&lt;!here&gt;``
counts too, since Markdown decodes entities.

Limits on ``text``: over 4,000 characters is discouraged (``ADVISED_TEXT``,
recorded as a violation), over 40,000 refused (``MAX_TEXT``); ``markdown_text``
holds at most 12,000 (``MAX_MARKDOWN``).
"""

from __future__ import annotations

import re

ADVISED_TEXT = 4_000
MAX_TEXT = 40_000
MAX_MARKDOWN = 12_000

_BROADCAST = re.compile(r"<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>")
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LITERAL = re.compile(r"(?<![\w@])@(?:here|channel|everyone)(?!\w)", re.IGNORECASE)
_TOKEN = re.compile(r"<([^<>\n]*)>")
_KNOWN_TOKEN = re.compile(r"^(?:[@#][A-Z0-9]|!(?:here|channel|everyone|subteam\^|date\^)|(?:https?|mailto|tel|slack):)")
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def pings(text: str, *, markdown: bool = False) -> list[str]:
    """The mentions in ``text`` that would notify people, as written (empty: none)."""
    readings = [text, unescape(text)] if markdown else [text]
    found: list[str] = []
    for reading in readings:
        for pattern in (_BROADCAST, _USER_MENTION, _LITERAL):
            found.extend(match.group(0) for match in pattern.finditer(reading))
    return list(dict.fromkeys(found))


def malformed(text: str) -> list[str]:
    """What in a mrkdwn ``text`` Slack would misread: ``<…>`` that is no link or mention, a stray ``<`` ``>`` or ``&``."""
    problems = [f"<{m.group(1)}> is read as markup" for m in _TOKEN.finditer(text) if not _KNOWN_TOKEN.match(m.group(1))]
    rest = _TOKEN.sub("", text)
    if "<" in rest or ">" in rest:
        problems.append("an unescaped < or > (write &lt; &gt;)")
    if _BARE_AMPERSAND.search(text):
        problems.append("an unescaped & (write &amp;)")
    return problems


def shown(text: str) -> str:
    """What a reader sees of a mrkdwn ``text``: links as their label, mentions as names, entities decoded."""

    def token(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        if target.startswith(("@", "#")):
            return label and target[0] + label or target
        return label or target

    return unescape(_TOKEN.sub(token, text))
