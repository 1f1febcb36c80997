"""The filter pipeline in the core (fakes at the ports): what is blocked, redacted, flagged, recorded,
and what the user is told; `/parley filter …` for admins, audited."""

from __future__ import annotations

import asyncio

from core.filters.pipeline import FilterPipeline
from core.filters.policy import FilterDefaults
from core.filters.values import BlockRule, FilterPolicy
from core.messages import OutcomeKind
from core.messages import WorkspaceScope
from tests.core.conftest import CHANNEL, actor, build_world, msg
from tests.core.fakes import FakeClock, FakeModerator, MemoryFilterDecisionLog, MemoryFilterSettingsStore

WORKSPACE = WorkspaceScope(platform="slack", workspace="T1")
SECRET_TEXT = "my card is 4111 1111 1111 1111 and mail ada@example.com"


async def test_pii_is_redacted_before_the_llm_and_before_storage_and_the_user_is_told(world):
    _, outcome = await world.send(msg(SECRET_TEXT))

    sent = world.llm.requests[-1].messages[-1].content
    assert sent == "my card is [card] and mail [email]"
    assert [content for _, content, _ in world.turns.contents()] == [sent, "echo: " + sent]
    assert outcome.kind is OutcomeKind.ANSWERED
    assert any("an e-mail address and a card number" in n for n in outcome.notices)
    assert world.decisions.summary() == [("input", "pii", "email", "redacted"), ("input", "pii", "card", "redacted")]
    assert all("4111" not in d.category and "ada@" not in d.category for d in world.decisions.decisions)


async def test_a_workspace_can_switch_pii_redaction_off():
    world = build_world()
    assert (await world.core.commands.run(actor("U_OWNER"), "parley", "filter set pii off")).ok
    await world.send(msg(SECRET_TEXT))
    assert world.llm.requests[-1].messages[-1].content == SECRET_TEXT
    other = build_world(filters=FilterDefaults(pii="off"))
    await other.send(msg(SECRET_TEXT))
    assert other.llm.requests[-1].messages[-1].content == SECRET_TEXT


async def test_a_blocked_message_gets_a_short_explanation_without_its_content():
    world = build_world(filters=FilterDefaults(rules=(BlockRule("project falcon", source="settings"),)))
    _, outcome = await world.send(msg("what is the launch date of Project Falcon?"))

    assert outcome.kind is OutcomeKind.BLOCKED and outcome.reason == "blocklist"
    assert "blocklist" in outcome.text and "falcon" not in outcome.text.lower() and "launch" not in outcome.text
    assert world.llm.requests == [] and world.turns.turns == []
    assert world.decisions.summary() == [("input", "blocklist", "project falcon", "blocked")]


async def test_an_output_block_at_a_streaming_checkpoint_stops_the_answer():
    world = build_world(filters=FilterDefaults(rules=(BlockRule("forbidden", source="settings"),)))
    world.llm.script.append("x" * 600 + " forbidden " + "y" * 600)
    deltas, outcome = await world.send(msg("go"))

    assert outcome.kind is OutcomeKind.BLOCKED and outcome.text.startswith("I wrote an answer")
    assert "forbidden" not in outcome.text
    assert ("assistant", "ok") not in [(role, status) for role, _, status in world.turns.contents()]
    assert world.decisions.summary()[-1] == ("output", "blocklist", "forbidden", "blocked")


async def test_redacting_rules_apply_to_the_final_answer():
    world = build_world(filters=FilterDefaults(rules=(BlockRule("hunter2", action="redact", source="settings"),)))
    world.llm.script.append("the password is hunter2, keep it safe")
    _, outcome = await world.send(msg("what is the password?"))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.text == "the password is [redacted], keep it safe"
    assert world.turns.contents()[-1] == ("assistant", "the password is [redacted], keep it safe", "ok")


async def test_moderation_blocks_input_and_output_and_flags_when_told_to():
    moderator = FakeModerator({"nasty": "harassment"})
    world = build_world(moderator=moderator)
    _, blocked_in = await world.send(msg("say something nasty"))
    assert blocked_in.kind is OutcomeKind.BLOCKED and "(harassment)" in blocked_in.text and world.llm.requests == []

    world.llm.script.append("a nasty answer")
    _, blocked_out = await world.send(msg("hello"))
    assert blocked_out.kind is OutcomeKind.BLOCKED and blocked_out.text.startswith("I wrote an answer")

    await world.core.commands.run(actor("U_OWNER"), "parley", "filter set moderation flag")
    _, flagged = await world.send(msg("a nasty question"))
    assert flagged.kind is OutcomeKind.ANSWERED
    assert world.decisions.summary()[-2:] == [
        ("input", "moderation", "harassment", "flagged"), ("output", "moderation", "harassment", "flagged")
    ]


async def test_a_failing_moderation_endpoint_fails_open_on_input_and_closed_on_output_by_default():
    moderator = FakeModerator()
    moderator.fail = True
    world = build_world(moderator=moderator)
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.BLOCKED and outcome.reason == "moderation_failed"
    assert len(world.llm.requests) == 1  # the input went through (open); the answer was held back (closed)
    assert world.decisions.summary() == [
        ("input", "moderation", "error", "failed_open"), ("output", "moderation", "error", "failed_closed")
    ]

    reversed_modes = build_world(moderator=moderator, filters=FilterDefaults(input_failure="closed", output_failure="open"))
    _, refused = await reversed_modes.send(msg("hello"))
    assert refused.kind is OutcomeKind.BLOCKED and "moderation service" in refused.text
    assert reversed_modes.llm.requests == []


async def test_unavailable_moderation_never_refuses_and_filter_show_says_so():
    world = build_world(moderator=FakeModerator({"nasty": "hate"}, absent=True))
    _, outcome = await world.send(msg("something nasty"))
    assert outcome.kind is OutcomeKind.ANSWERED and world.decisions.decisions == []
    shown = await world.core.commands.run(actor("U1"), "parley", "filter show")
    assert "unavailable: no endpoint" in shown.text and "still run" in shown.text


async def test_admins_change_filters_from_chat_audited_and_members_may_not():
    world = build_world()
    admin, member = actor("U_OWNER"), actor("U2")
    refused = await world.core.commands.run(member, "parley", "filter block falcon")
    assert not refused.ok and "Only admins" in refused.text

    added = await world.core.commands.run(admin, "parley", "filter block action=redact /falcon-\\d+/")
    assert added.ok, added.text
    bad = await world.core.commands.run(admin, "parley", "filter block /falcon-(\\d+/")
    assert not bad.ok and "does not compile" in bad.text
    again = await world.core.commands.run(admin, "parley", "filter block action=redact /falcon-\\d+/")
    assert not again.ok and "already" in again.text
    assert await world.stores.filter_settings.rules(WORKSPACE) == [BlockRule("/falcon-\\d+/", action="redact")]

    await world.send(msg("status of falcon-7?"))
    assert world.llm.requests[-1].messages[-1].content == "status of [redacted]?"

    assert (await world.core.commands.run(admin, "parley", "filter set blocklist off")).ok
    assert await world.stores.filter_settings.get_policy(WORKSPACE) == FilterPolicy(blocklist="off")
    await world.send(msg("status of falcon-8?"))
    assert world.llm.requests[-1].messages[-1].content == "status of falcon-8?"

    removed = await world.core.commands.run(admin, "parley", "filter unblock /falcon-\\d+/")
    assert removed.ok and await world.stores.filter_settings.rules(WORKSPACE) == []
    wrong = await world.core.commands.run(admin, "parley", "filter set moderation redact")
    assert not wrong.ok and "`moderation` can be" in wrong.text

    actions = [(e.action, e.target) for e in world.stores.audit.entries]
    assert actions == [("filter.block", "/falcon-\\d+/"), ("filter.set", "blocklist"), ("filter.unblock", "/falcon-\\d+/")]


async def test_filter_log_shows_recent_decisions_to_admins_without_content():
    world = build_world()
    await world.send(msg("mail ada@example.com", key=CHANNEL, mentions_bot=True))
    log = await world.core.commands.run(actor("U_OWNER"), "parley", "filter log")
    assert log.ok and "input · pii `email` → redacted" in log.text and "channel C1 · user U1" in log.text
    assert "ada@" not in log.text
    member = await world.core.commands.run(actor("U2"), "parley", "filter log")
    assert not member.ok and "Only admins" in member.text


async def test_filter_show_lists_the_state_and_rules_for_admins():
    world = build_world(filters=FilterDefaults(rules=(BlockRule("falcon", source="settings"),)))
    await world.core.commands.run(actor("U_OWNER"), "parley", "filter block osprey")
    admin_view = (await world.core.commands.run(actor("U_OWNER"), "parley", "filter show")).text
    member_view = (await world.core.commands.run(actor("U2"), "parley", "filter show")).text
    assert "PII redaction of messages: on" in admin_view and "1 rule(s) set here, 1 from the settings" in admin_view
    assert "`osprey` (default)" in admin_view and "`falcon` (default, settings)" in admin_view
    assert "osprey" not in member_view and "Moderation: block" in member_view
    unblock = await world.core.commands.run(actor("U_OWNER"), "parley", "filter unblock falcon")
    assert not unblock.ok and "BLOCKLIST setting" in unblock.text


async def test_a_burst_reads_the_workspace_policy_once_and_an_admin_change_at_once():
    class Counting(MemoryFilterSettingsStore):
        reads = 0

        async def get_policy(self, scope):
            self.reads += 1
            await asyncio.sleep(0)  # a database read: the other messages arrive meanwhile
            return await super().get_policy(scope)

    store, clock = Counting(), FakeClock()
    pipeline = FilterPipeline(
        store=store, decisions=MemoryFilterDecisionLog(), moderator=FakeModerator(), defaults=FilterDefaults(),
        clock=clock, cache_seconds=10,
    )
    verdicts = await asyncio.gather(*(pipeline.check_input(msg(SECRET_TEXT), SECRET_TEXT) for _ in range(30)))
    assert {v.text for v in verdicts} == {"my card is [card] and mail [email]"} and store.reads == 1
    clock.advance(seconds=11)  # expired while 30 more messages arrive at once
    await asyncio.gather(*(pipeline.check_output(msg("hi"), "an answer", final=True) for _ in range(30)))
    assert store.reads == 2
    await store.put_policy(WORKSPACE, FilterPolicy(pii="off"))
    pipeline.forget(WORKSPACE)  # what `/parley filter set` does after writing
    assert (await pipeline.check_input(msg(SECRET_TEXT), SECRET_TEXT)).text == SECRET_TEXT
