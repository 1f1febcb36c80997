"""Where each workspace's bot token is kept: slack_sdk's SQLAlchemy installation store, in Parley's database,
with every secret encrypted (``TokenCipher``) before it is written and decrypted after it is read.

slack_sdk 3.48 has an async store (``AsyncSQLAlchemyInstallationStore``) over an ``AsyncEngine``: Parley's
``Database.engine`` (asyncpg, or aiosqlite on a SQLite file), so nothing blocks the event loop and its
queries, tables and per-team lookups are the library's, not ours.  What it lacks is encryption: this
wrapper adds it around the store, so every path in (``async_save``, ``async_save_bot``, including bolt's
token rotation) and out (``async_find_bot``, ``async_find_installation``) goes through the cipher.  The
tables come from Parley's migration 0008, with the token columns as Text (ciphertext is longer than a
token).  A database dump holds only ciphertext; the key is in the environment.  The installer's user id is
not kept (an empty ``user_id``): Parley installs a bot only, and so keeps no one's id here.
"""

from __future__ import annotations

import copy
import logging
from typing import Optional

import structlog
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from core.token_cipher import TokenCipher, TokenUnreadable

log = structlog.get_logger(__name__)

BOT_SECRETS = ("bot_token", "bot_refresh_token")
INSTALLATION_SECRETS = (*BOT_SECRETS, "user_token", "user_refresh_token", "incoming_webhook_url")


class EncryptedInstallationStore(AsyncInstallationStore):
    def __init__(self, *, client_id: str, engine: AsyncEngine, cipher: TokenCipher) -> None:
        self._logger = logging.getLogger(__name__)
        self._store = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=self._logger)
        self._cipher = cipher

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        await self._store.async_save(self._sealed(installation, INSTALLATION_SECRETS))  # saves its bot too

    async def async_save_bot(self, bot: Bot) -> None:
        await self._store.async_save_bot(self._sealed(bot, BOT_SECRETS))

    async def async_find_bot(
        self, *, enterprise_id: Optional[str], team_id: Optional[str], is_enterprise_install: Optional[bool] = False
    ) -> Optional[Bot]:
        bot = await self._store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else self._opened(bot, BOT_SECRETS)

    async def async_find_installation(
        self, *, enterprise_id: Optional[str], team_id: Optional[str], user_id: Optional[str] = None,
        is_enterprise_install: Optional[bool] = False,
    ) -> Optional[Installation]:
        installation = await self._store.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )
        return None if installation is None else self._opened(installation, INSTALLATION_SECRETS)

    async def async_delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        await self._store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: Optional[str], team_id: Optional[str], user_id: Optional[str] = None
    ) -> None:
        await self._store.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

    def _sealed(self, value, fields: tuple[str, ...]):
        sealed = copy.copy(value)  # the caller's object keeps its plain tokens
        for field in fields:
            setattr(sealed, field, self._cipher.encrypt(getattr(value, field)))
        if isinstance(sealed, Installation):
            sealed.user_id = ""  # who installed: bot-only installs never need it, so no person's id is kept
        return sealed

    def _opened(self, value, fields: tuple[str, ...]):
        try:
            for field in fields:
                setattr(value, field, self._cipher.decrypt(getattr(value, field)))
        except TokenUnreadable as problem:
            log.error("slack.token_unreadable", team=value.team_id, problem=str(problem))
            raise
        return value
