"""The Web API: answering one method call, scripted failures (``fail``), and the methods that are not chat.* or views.*.

Each ``_m_<method with dots as underscores>(params, token)`` answers one
method (chat.* in ``chat``, views.* in ``views``); any other gets
``unknown_method``, a call without a token ``not_authed``.  Before a method
runs: a scripted failure (``fail``), then its rate limit (``rate_limits``: 429
with ``Retry-After``).
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.slack_server.chat import ChatMethods
from tests.standins.slack_server.oauth import OAuthMethods
from tests.standins.slack_server.history import HistoryMethods
from tests.standins.slack_server.records import UploadedFile
from tests.standins.slack_server.views import ViewMethods


class WebApiMethods(ChatMethods, ViewMethods, OAuthMethods, HistoryMethods):
    def fail(self, method: str, error: str, *, times: int | None = None, status: int = 200) -> None:
        """Answer the next ``times`` calls (all, when None) with ``error``; status 429 adds ``Retry-After: 0``."""
        self._failures[method] = (error, times, status)

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any], dict]:
        """(HTTP status, body, headers) of one call."""
        if method in self._failures:
            error, left, status = self._failures[method]
            if left is not None and left <= 1:
                del self._failures[method]
            elif left is not None:
                self._failures[method] = (error, left - 1, status)
            return status, {"ok": False, "error": error}, ({"Retry-After": "0"} if status == 429 else {})
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if token in self.revoked_tokens:
            return 200, {"ok": False, "error": "token_revoked"}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        wait = self.rate_limits.retry_after(method)
        if wait is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
        return 200, handler(params, token), {}

    # -- Web API methods (chat.* in chat.py, views.* in views.py)

    def _m_auth_test(self, params, token):
        return {"ok": True, "url": "https://parley-test.slack.com/", "team": "Parley Test", "user": "parley",
                "team_id": self.team_of(token), "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _m_users_info(self, params, token):
        user = self.users.get(str(params.get("user")))
        if user and token in self.token_teams and user["team_id"] != self.token_teams[token]:
            user = None  # an installed workspace's token sees its own people (Slack Connect aside)
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _m_assistant_threads_setStatus(self, params, token):
        return {"ok": True}

    def _m_assistant_threads_setSuggestedPrompts(self, params, token):
        return {"ok": True}

    def _m_assistant_threads_setTitle(self, params, token):
        return {"ok": True}

    def _m_conversations_open(self, params, token):
        users = str(params.get("users") or "")
        if not users or "," in users or users not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_of(users)}}

    def _m_files_getUploadURLExternal(self, params, token):
        if not params.get("filename") or not str(params.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = UploadedFile(id=file_id, filename=str(params["filename"]), length=int(params["length"]))
        return {"ok": True, "upload_url": self.url(f"/upload/{file_id}"), "file_id": file_id}

    def _m_files_completeUploadExternal(self, params, token):
        files = params.get("files") or "[]"
        files = json.loads(files) if isinstance(files, str) else files
        done = []
        for item in files:
            upload = self.files.get(str(item.get("id")))
            if upload is None or len(upload.content) != upload.length:
                return {"ok": False, "error": "file_not_found" if upload is None else "file_upload_size_mismatch"}
            upload.title = str(item.get("title") or upload.filename)
            upload.channel = params.get("channel_id") or None
            upload.thread_ts = params.get("thread_ts") or None
            if upload.thread_ts and not upload.channel:
                return {"ok": False, "error": "invalid_arguments"}  # a thread is only in a channel
            upload.comment = str(params.get("initial_comment") or "")
            if upload.comment:
                self._check_text("files.completeUploadExternal initial_comment", upload.comment)
            done.append({"id": upload.id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": done}

    def _m_usergroups_users_list(self, params, token):
        """Needs the ``usergroups:read`` scope (the app's manifest grants it, or ``missing_scope``); errors as
        documented: ``no_such_subteam``, ``plan_upgrade_required`` (scripted with ``fail``)."""
        if "usergroups:read" not in self.bot_scopes:
            return {"ok": False, "error": "missing_scope", "needed": "usergroups:read",
                    "provided": ",".join(sorted(self.bot_scopes))}
        group = str(params.get("usergroup") or "")
        if not group:
            return {"ok": False, "error": "invalid_arguments"}
        if group not in self.user_groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.user_groups[group])}

    def _m_apps_connections_open(self, params, token):
        if not str(token).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.url("/socket", scheme="ws")}
