"""Caps that hold against admins and users who try (issue 17): models, cut-off answers, the instance,
the allowed workspaces, Discord's DMs. Each test walks one route around a cap and is refused or charged."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace

from core.assembly import LimitOptions
from core.limits.budgets import BudgetCaps
from core.llm_types import LLMError
from core.messages import NO_WORKSPACE, ConversationKey, OutcomeKind, TextDelta, Usage, WorkspaceScope
from core.personas.values import ModelPolicy, Persona
from tests.core.conftest import CHANNEL, DM, actor, build_world, msg

OWNER = actor("U_OWNER")  # a PARLEY_ADMINS admin in the test world
CHEAP = {"gpt-4o-mini": (0.15, 0.60)}


def caps(**values) -> BudgetCaps:
    return BudgetCaps({tuple(k.split("_")): v for k, v in values.items()})


def allowlisted(**limits):
    return build_world(
        models=ModelPolicy(allowed=frozenset({"gpt-4o-mini", "gpt-4o"}), max_tokens=2_000),
        limits=LimitOptions(prices=CHEAP, **limits),
    )


# --- models -----------------------------------------------------------------------------------------


async def test_a_persona_naming_a_model_off_the_allowlist_is_refused_with_the_list():
    world = allowlisted()
    reply = await world.core.commands.run(OWNER, "persona", "create pricey model=o1-pro Answer at length.")
    assert not reply.ok and "`o1-pro` is not allowed here" in reply.text
    assert "`gpt-4o`" in reply.text and "`gpt-4o-mini`" in reply.text
    assert await world.stores.personas.get(OWNER.workspace_scope, "pricey") is None

    assert (await world.core.commands.run(OWNER, "persona", "create fine model=gpt-4o Be brief.")).ok
    edited = await world.core.commands.run(OWNER, "persona", "edit fine model=o1-pro")
    assert not edited.ok and "not allowed" in edited.text
    assert (await world.stores.personas.get(OWNER.workspace_scope, "fine")).model == "gpt-4o"


async def test_the_form_refuses_it_too_and_max_tokens_is_capped_by_the_operator():
    world = allowlisted()
    reply = await world.core.commands.run(OWNER, "persona", "create long max_tokens=32000 Write novels.")
    assert not reply.ok and "max_tokens must be at most 2,000 here" in reply.text
    try:
        await world.core.commands.submit_persona_form(
            OWNER, editing=None, fields={"name": "x", "system_prompt": "p", "model": "o1-pro"}
        )
    except Exception as invalid:  # PersonaInvalid: the form shows it on the field
        assert [e.field for e in invalid.errors] == ["model"]
    else:
        raise AssertionError("the form accepted a model off the allowlist")


async def test_a_persona_stored_before_the_allowlist_cannot_answer_with_its_model():
    world = allowlisted()
    scope = OWNER.workspace_scope
    await world.stores.personas.save(scope, Persona(name="old", system_prompt="Old.", model="o1-pro", max_tokens=32_000))
    await world.stores.personas.save(scope, Persona(name="big", system_prompt="Big.", model="gpt-4o", max_tokens=32_000))
    assert (await world.core.commands.run(actor("U1", is_dm=True, channel=DM.channel), "persona", "use old")).ok
    await world.send(msg("hi"))
    assert world.llm.requests[-1].model == "gpt-4o-mini"  # the built-in, not o1-pro
    assert (await world.core.commands.run(actor("U1", is_dm=True, channel=DM.channel), "persona", "use big")).ok
    await world.send(msg("hi again"))
    assert world.llm.requests[-1].model == "gpt-4o" and world.llm.requests[-1].max_tokens == 2_000


async def test_with_a_money_budget_a_model_without_a_price_is_refused_not_free():
    world = build_world(limits=LimitOptions(caps=caps(workspace_daily_usd=0.0), prices={}))
    _, refused = await world.send(msg("hi"))
    assert refused.kind is OutcomeKind.LIMITED and refused.reason == "budget.unpriced_model"
    assert "has no price" in refused.text and world.llm.requests == []
    tokens_only = build_world(limits=LimitOptions(caps=caps(workspace_daily_tokens=100_000), prices={}))
    assert (await tokens_only.send(msg("hi")))[1].kind is OutcomeKind.ANSWERED


# --- answers cut off are charged --------------------------------------------------------------------


class HalfThenBreak:
    """A model that streams some text, then fails mid-stream (and never sends usage)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.requests = []

    async def stream(self, request):
        self.requests.append(request)
        yield self.text
        raise LLMError("connection reset mid-stream")


async def test_a_mid_stream_failure_charges_the_prompt_and_what_was_received():
    world = build_world(llm=HalfThenBreak("word " * 400), limits=LimitOptions(caps=caps(user_daily_tokens=100_000)))
    _, outcome = await world.send(msg("tell me"))
    assert outcome.kind is OutcomeKind.FAILED
    [row] = world.stores.usage.records
    assert row.prompt_tokens > 0 and row.completion_tokens >= 300  # ~400 words counted locally
    used = await world.stores.budget_counters.used(list(world.stores.budget_counters.used_))
    assert sum(used.values()) == row.prompt_tokens + row.completion_tokens
    report = await world.core.commands.run(actor("U1"), "parley", "usage")
    assert f"{row.completion_tokens:,} completion tokens" in report.text


async def test_five_answers_stopped_by_the_output_filter_are_charged():
    from core.filters.policy import FilterDefaults
    from core.filters.values import BlockRule

    world = build_world(
        filters=FilterDefaults(rules=(BlockRule("forbidden", source="settings"),)),
        limits=LimitOptions(caps=caps(user_daily_tokens=1_000_000)),
    )
    for i in range(5):
        world.llm.script.append("harmless text " * 60 + "forbidden " + "more " * 300)
        _, outcome = await world.send(msg(f"q{i}", key=replace(DM, channel=f"D{i}")))
        assert outcome.kind is OutcomeKind.BLOCKED
    assert len(world.stores.usage.records) == 5
    assert all(r.completion_tokens > 100 for r in world.stores.usage.records)


async def test_a_reader_that_goes_away_mid_answer_still_pays_for_it():
    world = build_world(limits=LimitOptions(caps=caps(user_daily_tokens=1_000_000)))
    world.llm.script.append("a long answer " * 200)
    async with aclosing(world.core.chat.handle(msg("hi"))) as events:
        async for event in events:
            assert isinstance(event, TextDelta)
            break  # the adapter failed to post: it stops reading
    [row] = world.stores.usage.records
    assert row.completion_tokens > 0
    assert not world.stores.budget_counters.reserved or not any(world.stores.budget_counters.reserved.values())


# --- the instance, the workspaces, the DMs -----------------------------------------------------------


async def test_an_instance_wide_budget_holds_across_workspaces():
    world = build_world(limits=LimitOptions(caps=caps(instance_daily_tokens=1_500)))
    world.llm.script.append("long answer " * 170)  # ~500 tokens; the next worst case (~1,060) no longer fits
    assert (await world.send(msg("first")))[1].kind is OutcomeKind.ANSWERED
    elsewhere = ConversationKey(platform="discord", workspace="G2", channel="D1")
    _, refused = await world.send(msg("hi", key=elsewhere, is_dm=True))
    assert refused.reason == "budget.instance.daily.tokens" and "Parley's shared daily" in refused.text
    shown = (await world.core.commands.run(actor("U1"), "parley", "limits show")).text
    assert "everyone's (the whole instance) daily:" in shown


async def test_a_workspace_off_the_allowlist_is_refused_politely_and_nothing_runs():
    world = build_world(allowed_workspaces=frozenset({"T1"}))
    assert (await world.send(msg("hi")))[1].kind is OutcomeKind.ANSWERED
    stranger = ConversationKey(platform="discord", workspace="G666", channel="C1", thread="9")
    _, refused = await world.send(msg("hi", key=stranger, mentions_bot=True))
    assert refused.kind is OutcomeKind.LIMITED and refused.reason == "workspace_not_allowed"
    assert "not enabled for this workspace" in refused.text and len(world.llm.requests) == 1
    command = await world.core.commands.run(replace(actor("U1"), workspace="G666"), "parley", "usage")
    assert not command.ok and "not enabled" in command.text


async def test_discord_dms_have_limits_and_budgets_per_person():
    world = build_world(limits=LimitOptions(workspace="2/minute", caps=caps(workspace_daily_tokens=2_500)))
    dm = ConversationKey(platform="discord", workspace=NO_WORKSPACE, channel="DM-A")
    for _ in range(2):
        assert (await world.send(msg("hi", key=dm, user="A", is_dm=True)))[1].kind is OutcomeKind.ANSWERED
    assert (await world.send(msg("hi", key=dm, user="A", is_dm=True)))[1].kind is OutcomeKind.LIMITED
    other = ConversationKey(platform="discord", workspace=NO_WORKSPACE, channel="DM-B")
    assert (await world.send(msg("hi", key=other, user="B", is_dm=True)))[1].kind is OutcomeKind.ANSWERED
    keys = {key.workspace for key in world.stores.budget_counters.used_}
    assert keys == {"dm:A", "dm:B"}  # each person's DM spending is their own, never a shared "dm"


def test_the_operator_settings_for_caps_read_and_refuse_clearly():
    import pytest

    from core.bootstrap import model_policy
    from core.config import SettingsError, load_settings

    settings = load_settings(_env_file=None, allowed_models="gpt-4o, o3-mini", allowed_workspaces="T1,G2")
    assert settings.allowed_models == frozenset({"gpt-4o", "o3-mini"})
    assert settings.allowed_workspaces == frozenset({"T1", "G2"})
    default = model_policy(load_settings(_env_file=None), default_model="gpt-4o-mini", prices=CHEAP | {"gpt-4o": (1, 1)})
    assert default.allowed == frozenset({"gpt-4o-mini", "gpt-4o"}) and default.max_tokens == 4_096
    for bad, key in (({"budget_instance_daily_usd": -1}, "BUDGET_INSTANCE_DAILY_USD"),
                     ({"blocklist_timeout_failure": "sometimes"}, "BLOCKLIST_TIMEOUT_FAILURE"),
                     ({"persona_max_tokens": 0}, "PERSONA_MAX_TOKENS")):
        with pytest.raises(SettingsError, match=key):
            load_settings(_env_file=None, **bad)
