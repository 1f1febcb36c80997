"""Who a message would ping: its mentions, as its ``allowed_mentions`` lets them through.

Discord parses ``@everyone``/``@here``, ``<@id>``/``<@!id>`` (users) and
``<@&id>`` (roles) from the content.  Without ``allowed_mentions`` it pings
every one of them (and, for a reply, the author of the message replied to);
with it, only the kinds named in ``parse``, the ids in ``users``/``roles``,
and the replied-to author only with ``replied_user: true``.  An edit notifies
nobody but shows the mention highlighted as if it did: it counts here too.
"""

from __future__ import annotations

import re
from typing import Any

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(everyone|here)\b")

#: (method, route) → where the message's fields are in the body
MESSAGE_SENDS = {
    ("POST", "/channels/{channel_id}/messages"): (),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): (),
    ("POST", "/interactions/{interaction_id}/{token}/callback"): ("data",),
    ("POST", "/webhooks/{application_id}/{token}"): (),
    ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}"): (),
}


def of_request(method: str, route: str, body: Any, *, replied_author: int | None = None) -> list[str]:
    """Whom the message this request sends or edits would ping: "@everyone", "user:ID", "role:ID", "reply:ID"."""
    where = MESSAGE_SENDS.get((method, route))
    if where is None or not isinstance(body, dict):
        return []
    message: Any = body
    for key in where:
        message = message.get(key) or {}
    return would_ping(message.get("content") or "", message.get("allowed_mentions"), replied_author=replied_author)


def guards(method: str, route: str, body: Any) -> bool:
    """Whether a request that sends or edits text lets nothing in it ping (allowed_mentions with no parse, no ids)."""
    where = MESSAGE_SENDS.get((method, route))
    message: Any = body if isinstance(body, dict) else {}
    for key in where or ():
        message = message.get(key) or {}
    if where is None or "content" not in message:
        return True
    allowed = message.get("allowed_mentions")
    return allowed is not None and not any(allowed.get(key) for key in ("parse", "users", "roles", "replied_user"))


def would_ping(content: str, allowed: dict[str, Any] | None, *, replied_author: int | None = None) -> list[str]:
    parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    users = {str(u) for u in (allowed or {}).get("users") or []}
    roles = {str(r) for r in (allowed or {}).get("roles") or []}
    pinged = [f"@{m}" for m in EVERYONE.findall(content) if "everyone" in parse]
    pinged += [f"user:{u}" for u in USER.findall(content) if "users" in parse or u in users]
    pinged += [f"role:{r}" for r in ROLE.findall(content) if "roles" in parse or r in roles]
    if replied_author is not None and (allowed is None or allowed.get("replied_user")):
        pinged.append(f"reply:{replied_author}")
    return pinged
