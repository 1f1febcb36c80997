"""AccessStore in memory: rules, summoning modes, model choices."""

from __future__ import annotations

from core.access.values import AccessRule, Kind, Summoning
from core.messages import ChannelScope, WorkspaceScope


class MemoryAccessStore:
    def __init__(self) -> None:
        self.rule_rows: dict[tuple[WorkspaceScope, Kind, str], AccessRule] = {}
        self.summonings: dict[ChannelScope, Summoning] = {}
        self.choices: dict[tuple[ChannelScope, str], str] = {}

    async def rules(self, scope: WorkspaceScope) -> list[AccessRule]:
        found = [rule for (s, _, _), rule in self.rule_rows.items() if s == scope]
        return sorted(found, key=lambda rule: (rule.kind.value, rule.subject))

    async def put_rule(self, scope: WorkspaceScope, rule: AccessRule) -> AccessRule | None:
        before = self.rule_rows.get((scope, rule.kind, rule.subject))
        self.rule_rows[(scope, rule.kind, rule.subject)] = rule
        return before

    async def remove_rule(self, scope: WorkspaceScope, *, kind: Kind, subject: str) -> AccessRule | None:
        return self.rule_rows.pop((scope, kind, subject), None)

    async def clear_rules(self, scope: WorkspaceScope) -> int:
        gone = [key for key in self.rule_rows if key[0] == scope]
        for key in gone:
            del self.rule_rows[key]
        return len(gone)

    async def summoning(self, scope: ChannelScope) -> Summoning | None:
        return self.summonings.get(scope)

    async def set_summoning(self, scope: ChannelScope, summoning: Summoning) -> None:
        self.summonings[scope] = summoning

    async def model_choice(self, scope: ChannelScope, *, user: str) -> str | None:
        return self.choices.get((scope, user))

    async def set_model_choice(self, scope: ChannelScope, *, user: str, model: str | None) -> None:
        if model is None:
            self.choices.pop((scope, user), None)
        else:
            self.choices[(scope, user)] = model

    async def channel_choices(self, scope: ChannelScope) -> dict[str, str]:
        return {user: model for (s, user), model in sorted(self.choices.items(), key=lambda i: i[0][1]) if s == scope}

    async def forget_channel_choices(self, scope: ChannelScope) -> int:
        gone = [key for key in self.choices if key[0] == scope]
        for key in gone:
            del self.choices[key]
        return len(gone)

    async def forget_user_choices(self, scope: WorkspaceScope, *, user: str) -> int:
        gone = [
            key for key in self.choices
            if key[1] == user and (key[0].platform, key[0].workspace) == (scope.platform, scope.workspace)
        ]
        for key in gone:
            del self.choices[key]
        return len(gone)
