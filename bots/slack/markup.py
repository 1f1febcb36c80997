"""Slack's message markup (``<@U…>``, ``<#C…|name>``, ``<url|label>``, ``&amp;``) → plain text.

Pure functions: the names of mentioned users are looked up elsewhere and
passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")


def mentioned_users(text: str) -> list[str]:
    """User ids mentioned in ``text``, in order, without repeats."""
    return list(dict.fromkeys(match.group(1) for match in _USER.finditer(text or "")))


def mentions(text: str, user_id: str) -> bool:
    return bool(user_id) and user_id in mentioned_users(text)


def plain_text(text: str, *, bot_user_id: str, names: Mapping[str, str]) -> str:
    """``text`` with the bot's own mention removed and all other markup made readable."""
    if bot_user_id:
        own = re.compile(r"[ \t]*<@" + re.escape(bot_user_id) + r"(?:\|[^>]*)?>[ \t]*")
        text = own.sub(" ", text)
    text = _USER.sub(lambda m: "@" + (names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SUBTEAM.sub(lambda m: (m.group(2) or "@" + m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(_link, text)
    return _unescape(text).strip()


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    if not label or label == url or url.endswith(":" + label) or url.endswith("//" + label):
        return url
    return f"{label} ({url})"


def _unescape(text: str) -> str:
    # Slack escapes exactly these three; &amp; last so "&amp;lt;" stays "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
