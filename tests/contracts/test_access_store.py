"""AccessStore: rules, summoning modes and model choices (fake, SQLite, PostgreSQL)."""

from __future__ import annotations

from core.access.values import AccessRule, Effect, Kind, Summoning, SummonMode, ThreadMode
from core.messages import ChannelScope, WorkspaceScope
from core.ports import AccessStore

WS = WorkspaceScope("slack", "T1")
C1, C2 = ChannelScope("slack", "T1", "C1"), ChannelScope("slack", "T1", "C2")


async def test_a_rule_per_subject_replaced_removed_and_cleared(access: AccessStore) -> None:
    assert await access.put_rule(WS, AccessRule(Effect.DENY, Kind.USER, "U2", author="A")) is None
    replaced = await access.put_rule(WS, AccessRule(Effect.ALLOW, Kind.USER, "U2", author="B"))
    await access.put_rule(WS, AccessRule(Effect.DENY, Kind.GROUP, "S1", author="A"))
    await access.put_rule(WorkspaceScope("slack", "T2"), AccessRule(Effect.DENY, Kind.USER, "U9", author="A"))

    assert replaced == AccessRule(Effect.DENY, Kind.USER, "U2", author="A")
    assert await access.rules(WS) == [
        AccessRule(Effect.DENY, Kind.GROUP, "S1", author="A"), AccessRule(Effect.ALLOW, Kind.USER, "U2", author="B"),
    ]
    assert await access.remove_rule(WS, kind=Kind.GROUP, subject="S1") is not None
    assert await access.remove_rule(WS, kind=Kind.GROUP, subject="S1") is None
    assert await access.clear_rules(WS) == 1
    assert await access.rules(WS) == []
    assert len(await access.rules(WorkspaceScope("slack", "T2"))) == 1


async def test_summoning_per_channel(access: AccessStore) -> None:
    assert await access.summoning(C1) is None
    await access.set_summoning(C1, Summoning(SummonMode.ALWAYS, ThreadMode.AUTO))
    await access.set_summoning(C1, Summoning(SummonMode.OFF, ThreadMode.MENTION))
    assert await access.summoning(C1) == Summoning(SummonMode.OFF, ThreadMode.MENTION)
    assert await access.summoning(C2) is None


async def test_model_choices_per_person_per_channel_and_forgetting_them(access: AccessStore) -> None:
    await access.set_model_choice(C1, user="U1", model="gpt-4o")
    await access.set_model_choice(C1, user="U1", model="gpt-4.1")
    await access.set_model_choice(C2, user="U1", model="gpt-4o")
    await access.set_model_choice(C1, user="U2", model="gpt-4o")
    assert await access.model_choice(C1, user="U1") == "gpt-4.1"
    assert await access.channel_choices(C1) == {"U1": "gpt-4.1", "U2": "gpt-4o"}

    await access.set_model_choice(C1, user="U2", model=None)
    assert await access.model_choice(C1, user="U2") is None
    assert await access.forget_user_choices(WS, user="U1") == 2
    await access.set_model_choice(C2, user="U3", model="gpt-4o")
    assert await access.forget_channel_choices(C2) == 1
    assert await access.channel_choices(C1) == {} and await access.channel_choices(C2) == {}
