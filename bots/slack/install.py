"""Installs for many workspaces: bolt's OAuth flow, each workspace's bot token, and what an uninstall does.

On when SLACK_CLIENT_ID is set (HTTP mode only: Slack redirects the installer's browser to
``/slack/oauth_redirect``, which needs an HTTP endpoint).  ``GET /slack/install`` sends the installer to
Slack's consent page with a single-use state (in ``slack_oauth_states``, and a cookie); Slack sends them back
to ``/slack/oauth_redirect`` with a code, which bolt exchanges (``oauth.v2.access``) for the workspace's bot
token, stored encrypted (``EncryptedInstallationStore``).  Every event is then answered with the token of the
workspace it came from (bolt's ``AsyncInstallationStoreAuthorize``; ``SlackClients`` outside listeners).

``tokens_revoked`` (the bot's) and ``app_uninstalled`` delete the workspace's tokens at once; its data goes
after SLACK_UNINSTALL_GRACE_DAYS (``WorkspaceDepartures``, in the periodic purge), unless it installs again
before that.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.slack.clients import SlackClients
from bots.slack.installations import EncryptedInstallationStore
from bots.slack.translate import PLATFORM
from core.config import Settings
from core.departures.departures import WorkspaceDepartures
from core.messages import WorkspaceScope
from core.token_cipher import TokenCipher

log = structlog.get_logger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install started must finish within 10 minutes


def oauth_problem(settings: Settings) -> str | None:
    """The one line to print when the OAuth settings cannot work (None: fine, or OAuth is off)."""
    if not settings.slack_client_id:
        return None
    if settings.slack_bot_token:
        return ("SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: keep SLACK_BOT_TOKEN for one workspace, or "
                "SLACK_CLIENT_ID (with SLACK_CLIENT_SECRET) to install Parley into many workspaces, not both.")
    if settings.slack_app_token:
        return ("SLACK_CLIENT_ID needs HTTP mode (Slack redirects installers to /slack/oauth_redirect): "
                "unset SLACK_APP_TOKEN, or unset SLACK_CLIENT_ID to run one workspace in Socket Mode.")
    if not settings.slack_client_secret:
        return "SLACK_CLIENT_SECRET is not set: installs need the app's Client Secret (Basic Information page)."
    if not settings.slack_scopes:
        return "SLACK_SCOPES is empty: leave it unset for the scopes Parley needs, or list them comma-separated."
    if not settings.slack_token_encryption_key:
        return ("SLACK_TOKEN_ENCRYPTION_KEY is not set: installed bot tokens are stored encrypted; make a key with "
                'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"')
    return None


class ExpiringStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's state store, which deletes a state only when it is used: here each new one first deletes the
    expired ones, so installs started and never finished (or GET /slack/install called in a loop) do not pile up."""

    async def async_issue(self, *args, **kwargs) -> str:
        now = datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as slack_sdk writes expire_at
        async with self.engine.begin() as connection:
            await connection.execute(self.oauth_states.delete().where(self.oauth_states.c.expire_at < now))
        return await super().async_issue(*args, **kwargs)


class Installs:
    """What OAuth mode adds to the app: the flow's settings, the token store, and the uninstall listeners."""

    def __init__(
        self, *, settings: Settings, engine: AsyncEngine, departures: WorkspaceDepartures | None
    ) -> None:
        client_id = str(settings.slack_client_id)
        self.store = EncryptedInstallationStore(
            client_id=client_id, engine=engine, cipher=TokenCipher(settings.slack_token_encryption_key)
        )
        self._departures = departures
        self._clients: SlackClients | None = None
        bolt_log = logging.getLogger("slack_bolt.oauth")
        self.oauth_settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(settings.slack_scopes),
            user_scopes=[],
            redirect_uri=settings.slack_redirect_uri or None,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            install_page_rendering_enabled=False,  # straight to Slack's consent page
            installation_store=self.store,
            installation_store_bot_only=True,
            state_store=ExpiringStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
            state_expiration_seconds=STATE_SECONDS,
            callback_options=AsyncCallbackOptions(success=self._installed, failure=self._failed),
            logger=bolt_log,
        )
        # One auth.test per token, not per event: an uninstalled workspace's token is gone from the store first.
        self.authorize = AsyncInstallationStoreAuthorize(
            logger=bolt_log, installation_store=self.store, client_id=client_id,
            client_secret=settings.slack_client_secret, bot_only=True, cache_enabled=True,
        )

    def attach(self, app: AsyncApp, clients: SlackClients) -> None:
        self._clients = clients
        app.event("tokens_revoked")(self.on_tokens_revoked)
        app.event("app_uninstalled")(self.on_app_uninstalled)

    async def on_tokens_revoked(self, event: Mapping[str, Any], context: AsyncBoltContext) -> None:
        team, enterprise = context.team_id, context.enterprise_id
        tokens = event.get("tokens") or {}
        for user in tokens.get("oauth") or []:  # user tokens (Parley asks for none; an older install may have)
            await self.store.async_delete_installation(enterprise_id=enterprise, team_id=team, user_id=user)
        if tokens.get("bot"):
            await self._gone(team, enterprise, reason="tokens_revoked")

    async def on_app_uninstalled(self, context: AsyncBoltContext) -> None:
        await self._gone(context.team_id, context.enterprise_id, reason="app_uninstalled")

    async def _gone(self, team: str | None, enterprise: str | None, *, reason: str) -> None:
        await self.store.async_delete_all(enterprise_id=enterprise, team_id=team)
        if self._clients is not None and team:
            self._clients.forget(team)
        log.info("slack.tokens_deleted", team=team, reason=reason)
        if self._departures is not None and team:
            await self._departures.left(WorkspaceScope(platform=PLATFORM, workspace=team), reason=reason)

    async def _installed(self, args: AsyncSuccessArgs) -> BoltResponse:
        team = args.installation.team_id
        log.info("slack.installed", team=team, team_name=args.installation.team_name)
        if self._departures is not None and team:
            await self._departures.returned(WorkspaceScope(platform=PLATFORM, workspace=team))
        return await args.default.success(args)

    async def _failed(self, args: AsyncFailureArgs) -> BoltResponse:
        log.warning("slack.install_failed", reason=args.reason)
        return await args.default.failure(args)
