"""Attachments on the stand-in's CDN, as Discord serves them.

``send_message_with_files`` posts a message whose ``attachments`` carry URLs on this server
(``cdn_url``), signed as Discord signs them (``ex`` expiry, ``is`` issued, ``hm`` signature); a request
without the signature it issued, or for an unknown attachment, gets Discord's 404 ("This content is no
longer available.").  Every request is recorded in ``cdn_requests``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

GONE = "This content is no longer available."


@dataclass(frozen=True)
class CdnRequest:
    path: str
    status: int


class CdnHosting:
    """Mixed into ``DiscordStandIn``; its state is made lazily."""

    @property
    def cdn_url(self) -> str:
        return self.url("")  # type: ignore[attr-defined]

    @property
    def cdn_requests(self) -> list[CdnRequest]:
        return self._cdn()["requests"]

    async def send_message_with_files(
        self, author, channel_id: int, content: str, files: list[tuple[str, bytes, str]]
    ) -> dict[str, Any]:
        """Like ``send_message``, with ``files`` (name, bytes, content type) attached."""
        message = self._message(author=author, channel_id=channel_id, content=content)  # type: ignore[attr-defined]
        message["attachments"] = [self._attach(channel_id, name, data, kind) for name, data, kind in files]
        self.messages[int(message["id"])] = message  # type: ignore[attr-defined]
        await self.dispatch("MESSAGE_CREATE", message)  # type: ignore[attr-defined]
        return message

    def _attach(self, channel_id: int, name: str, data: bytes, content_type: str) -> dict[str, Any]:
        attachment_id = self._snowflake()  # type: ignore[attr-defined]
        path = f"/attachments/{channel_id}/{attachment_id}/{quote(name)}"
        signature = hashlib.sha256(path.encode()).hexdigest()[:32]
        self._cdn()["files"][path] = (data, content_type, signature)
        url = f"{self.cdn_url}{path}?ex=7fffffff&is=65000000&hm={signature}&"
        return {
            "id": str(attachment_id), "filename": name, "size": len(data), "url": url,
            "proxy_url": url.replace("/attachments/", "/media/attachments/", 1), "content_type": content_type,
        }

    def _cdn(self) -> dict[str, Any]:
        state = getattr(self, "_cdn_state", None)
        if state is None:
            state = self._cdn_state = {"files": {}, "requests": []}
        return state

    def _add_cdn_routes(self, app: web.Application) -> None:
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        state = self._cdn()
        hosted = state["files"].get(request.path)
        ok = hosted is not None and request.query.get("hm") == hosted[2] and "ex" in request.query
        state["requests"].append(CdnRequest(path=request.path, status=200 if ok else 404))
        if not ok:
            return web.Response(status=404, text=GONE)
        data, content_type, _ = hosted
        return web.Response(body=data, headers={"Content-Type": content_type})
