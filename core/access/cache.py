"""The access store behind the per-process TTL cache (``core/ttl_cache.py``): rules, summoning modes and
model choices are read for every message and change only by command."""

from __future__ import annotations

from core.access.values import AccessRule, Kind, Summoning
from core.messages import ChannelScope, WorkspaceScope
from core.ports import AccessStore
from core.ttl_cache import TtlCache


class CachedAccessStore:
    def __init__(self, inner: AccessStore, cache: TtlCache) -> None:
        self._inner = inner
        self._cache = cache

    async def rules(self, scope: WorkspaceScope) -> list[AccessRule]:
        return list(await self._cache.through(("access", scope), lambda: self._inner.rules(scope)))

    async def put_rule(self, scope: WorkspaceScope, rule: AccessRule) -> AccessRule | None:
        try:
            return await self._inner.put_rule(scope, rule)
        finally:
            self._cache.drop(lambda key: key == ("access", scope))

    async def remove_rule(self, scope: WorkspaceScope, *, kind: Kind, subject: str) -> AccessRule | None:
        try:
            return await self._inner.remove_rule(scope, kind=kind, subject=subject)
        finally:
            self._cache.drop(lambda key: key == ("access", scope))

    async def clear_rules(self, scope: WorkspaceScope) -> int:
        try:
            return await self._inner.clear_rules(scope)
        finally:
            self._cache.drop(lambda key: key == ("access", scope))

    async def summoning(self, scope: ChannelScope) -> Summoning | None:
        return await self._cache.through(("summoning", scope), lambda: self._inner.summoning(scope))

    async def set_summoning(self, scope: ChannelScope, summoning: Summoning) -> None:
        try:
            await self._inner.set_summoning(scope, summoning)
        finally:
            self._cache.drop(lambda key: key == ("summoning", scope))

    async def model_choice(self, scope: ChannelScope, *, user: str) -> str | None:
        """From the channel's choices, read once for everybody in the channel and kept: most people never
        choose a model, and a burst of new people in one channel would otherwise read once each."""
        choices = await self._cache.through(("model_choices", scope), lambda: self._inner.channel_choices(scope))
        return choices.get(user)

    async def set_model_choice(self, scope: ChannelScope, *, user: str, model: str | None) -> None:
        try:
            await self._inner.set_model_choice(scope, user=user, model=model)
        finally:
            self._cache.drop(lambda key: key == ("model_choices", scope))

    async def channel_choices(self, scope: ChannelScope) -> dict[str, str]:
        return await self._inner.channel_choices(scope)

    async def forget_channel_choices(self, scope: ChannelScope) -> int:
        try:
            return await self._inner.forget_channel_choices(scope)
        finally:
            self._cache.drop(lambda key: key == ("model_choices", scope))

    async def forget_user_choices(self, scope: WorkspaceScope, *, user: str) -> int:
        def in_workspace(key) -> bool:
            return key[0] == "model_choices" and (key[1].platform, key[1].workspace) == (scope.platform, scope.workspace)

        try:
            return await self._inner.forget_user_choices(scope, user=user)
        finally:
            self._cache.drop(in_workspace)
