"""Which tools a persona may use, and how: a rule on one tool beats the rule on its server; no rule = off."""

from __future__ import annotations

from collections.abc import Sequence

from core.tools.values import Policy, ServerTool, ToolRule


def policy_of(rules: Sequence[ToolRule], tool: ServerTool) -> Policy:
    server_policy: Policy = "off"
    for rule in rules:
        if rule.target == tool.target:
            return rule.policy
        if rule.target == tool.server:
            server_policy = rule.policy
    return server_policy


def servers_in_use(rules: Sequence[ToolRule]) -> list[str]:
    """The servers a persona may use some tool of (each once, in order)."""
    seen: list[str] = []
    for rule in rules:
        if rule.policy != "off" and rule.server not in seen:
            seen.append(rule.server)
    return seen
