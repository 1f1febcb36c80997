"""Files people share, as Slack serves them: a file object for events, and its bytes at ``url_private``.

As on Slack, ``url_private`` gives the bytes only to ``Authorization: Bearer <token>`` of a token with the
``files:read`` scope (``grant``); any other request is redirected (302) to the login page, an HTML page.
Every request for a file is recorded (``file_requests``), so a test sees what was fetched and with what.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

LOGIN_PAGE = "<!DOCTYPE html><html><body>You need to sign in to see this page.</body></html>"
_file_ids = itertools.count(1)


@dataclass(frozen=True)
class FileRequest:
    path: str
    token: str | None
    status: int


class FileHosting:
    """Mixed into ``SlackStandIn``; its state is made lazily (``_files_state``)."""

    def grant(self, token: str, *scopes: str) -> None:
        """The app installed with ``token`` has ``scopes`` (only files:read is looked at, by ``url_private``)."""
        self._files_state()["scopes"].setdefault(token, set()).update(scopes)

    def host_file(self, name: str, content: bytes, *, mimetype: str, filetype: str = "") -> dict[str, Any]:
        """A file shared in the workspace: the file object a message event carries in ``files``."""
        file_id = f"F{next(_file_ids):08d}"
        path = f"/files-pri/{self.team_id}-{file_id}/{quote(name)}"  # type: ignore[attr-defined]
        self._files_state()["hosted"][path] = (content, mimetype)
        url = self.url(path)  # type: ignore[attr-defined]
        return {
            "id": file_id, "name": name, "title": name, "mimetype": mimetype, "filetype": filetype or name.rsplit(".", 1)[-1],
            "size": len(content), "mode": "hosted", "is_external": False, "url_private": url,
            "url_private_download": url + "?download=1", "permalink": self.url(f"/files/{file_id}"),  # type: ignore[attr-defined]
        }

    @property
    def file_requests(self) -> list[FileRequest]:
        return self._files_state()["requests"]

    def _files_state(self) -> dict[str, Any]:
        state = getattr(self, "_file_hosting", None)
        if state is None:
            state = self._file_hosting = {"scopes": {}, "hosted": {}, "requests": []}
        return state

    def _add_file_routes(self, app: web.Application) -> None:
        app.router.add_get("/files-pri/{team_file}/{name}", self._serve_file)
        app.router.add_get("/", self._login_page)

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        state = self._files_state()
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        hosted = state["hosted"].get(request.path)
        allowed = token is not None and "files:read" in state["scopes"].get(token, set())
        status = 200 if hosted is not None and allowed else 302
        state["requests"].append(FileRequest(path=request.path, token=token, status=status))
        if status == 302:  # Slack sends whoever may not read the file to its login page
            raise web.HTTPFound(location="/?redir=" + quote(request.path_qs, safe=""))
        content, mimetype = hosted
        return web.Response(body=content, content_type=mimetype)

    async def _login_page(self, request: web.Request) -> web.Response:
        return web.Response(text=LOGIN_PAGE, content_type="text/html")
