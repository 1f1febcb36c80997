"""Installs: Slack's consent page (``approve``) and ``oauth.v2.access``, and the tokens they issue, per team.

``add_oauth_app(client_id=, client_secret=)`` registers an app.  ``approve(authorize_url, team_id=,
team_name=)`` is an installer clicking "Allow" on the page the app sent them to: the URL's client_id must be
an app's, and the code it returns remembers the team, the scopes and the ``redirect_uri`` asked for.
``oauth.v2.access`` (Slack's rules): the client's credentials by HTTP basic auth or as ``client_id`` /
``client_secret`` parameters (``invalid_client_id``, ``bad_client_secret``); a code is used once and lives
10 minutes (``invalid_code``); a ``redirect_uri`` given at the consent page must come again, the same
(``bad_redirect_uri``).  It answers a bot token of that team.

Every installed token belongs to its team: ``auth.test`` says which, ``users.info`` finds only that team's
people.  ``revoke(team_id)`` is an uninstall: that team's tokens then get ``token_revoked``.  A token the
stand-in never issued (the single-workspace tests' SLACK_BOT_TOKEN) is the default team's.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

CODE_SECONDS = 600  # Slack: an authorization code expires after ten minutes


@dataclass(frozen=True)
class IssuedCode:
    client_id: str
    team_id: str
    team_name: str
    scopes: str
    redirect_uri: str | None
    issued_at: float


class OAuthMethods:
    def add_oauth_app(self, *, client_id: str, client_secret: str, app_id: str = "A0PARLEY") -> None:
        self.oauth_apps[client_id] = (client_secret, app_id)

    def approve(self, authorize_url: str, *, team_id: str, team_name: str) -> str:
        """The installer of ``team_id`` allows the app at ``authorize_url``; the code Slack redirects with."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url).query).items()}
        client_id = query.get("client_id", "")
        if client_id not in self.oauth_apps:
            raise AssertionError(f"Slack shows an error page: unknown client_id {client_id!r}")
        code = f"code-{next(self._ids)}-{team_id}"
        self.codes[code] = IssuedCode(
            client_id=client_id, team_id=team_id, team_name=team_name, scopes=query.get("scope", ""),
            redirect_uri=query.get("redirect_uri"), issued_at=self.clock(),
        )
        return code

    def revoke(self, team_id: str) -> None:
        """The team uninstalled the app: its tokens stop working."""
        for token, team in list(self.token_teams.items()):
            if team == team_id:
                self.revoked_tokens.add(token)

    def tokens_of(self, team_id: str) -> list[str]:
        return [token for token, team in self.token_teams.items() if team == team_id]

    def team_of(self, token: str | None) -> str:
        return self.token_teams.get(token or "", self.team_id)

    def _oauth_v2_access(self, params: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return {"ok": False, "error": "invalid_client_id"}
        if params.get("grant_type") not in (None, "authorization_code"):
            return {"ok": False, "error": "invalid_grant_type"}
        if client_id not in self.oauth_apps:
            return {"ok": False, "error": "invalid_client_id"}
        secret, app_id = self.oauth_apps[client_id]
        if client_secret != secret:
            return {"ok": False, "error": "bad_client_secret"}
        issued = self.codes.pop(str(params.get("code") or ""), None)  # single use, even when refused below
        if issued is None or issued.client_id != client_id or self.clock() - issued.issued_at > CODE_SECONDS:
            return {"ok": False, "error": "invalid_code"}
        if issued.redirect_uri is not None and params.get("redirect_uri") != issued.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        token = f"xoxb-{issued.team_id}-{next(self._ids)}-not-real"
        self.token_teams[token] = issued.team_id
        return {
            "ok": True, "access_token": token, "token_type": "bot", "scope": issued.scopes,
            "bot_user_id": self.bot_user_id, "app_id": app_id,
            "team": {"id": issued.team_id, "name": issued.team_name}, "enterprise": None,
            "is_enterprise_install": False, "authed_user": {"id": "U0INSTALLER"},
        }
