"""``DiscordStandIn``: the parts put together, and the routes it serves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiohttp import web

from tests.standins.discord_server.cdn import CdnHosting
from tests.standins.discord_server.gateway import Gateway
from tests.standins.discord_server.interactions import InteractionRoutes
from tests.standins.discord_server.messages import MessageRoutes
from tests.standins.discord_server.rest import Handler, Rest
from tests.standins.discord_server.webhooks import WebhookRoutes
from tests.standins.discord_server.world import API_PREFIX


class DiscordStandIn(Rest, Gateway, MessageRoutes, InteractionRoutes, WebhookRoutes, CdnHosting):
    """``DiscordStandIn(*, token=FAKE_TOKEN, rate_limit=(5, 1.0), content_intent_enabled=True)`` (see ``DiscordState``)."""

    def _build_app(self) -> web.Application:
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        self._add_cdn_routes(app)
        for method, route, handler in self._routes():
            app.router.add_route(method, API_PREFIX + route, self._rest(route, handler))
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest("/{tail}", self._not_found))
        return app

    def _routes(self) -> Iterable[tuple[str, str, Handler]]:
        return (
            ("GET", "/users/@me", self._users_me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway", self._gateway_info),
            ("GET", "/gateway/bot", self._gateway_info),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._start_thread),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("POST", "/users/@me/channels", self._open_dm),
            ("PUT", "/applications/{application_id}/commands", self._sync_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._sync_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", self._followup),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self._get_webhook_message),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._edit_webhook_message),
        )
