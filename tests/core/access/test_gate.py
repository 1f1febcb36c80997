"""Who may use it, and how a channel summons it: decided before de-duplication, rate limits and the model."""

from __future__ import annotations

from dataclasses import replace

from core.access.texts import NOT_ALLOWED_HERE_TEXT
from core.access.values import AccessDefaults, Effect, Kind, SummonMode
from core.assembly import LimitOptions
from core.messages import ConversationKey, OutcomeKind
from tests.core.conftest import CHANNEL, DM, actor, build_world, msg

THREAD = replace(CHANNEL, thread="1000.1")
ADMIN = actor("U_OWNER")


async def admin(world, line: str) -> None:
    reply = await world.core.commands.run(ADMIN, "parley", line)
    assert reply.ok, reply.text


async def test_a_denied_user_is_told_once_privately_and_the_model_is_never_called(world) -> None:
    await admin(world, "access deny user <@UBAD>")
    assert (await world.core.commands.run(ADMIN, "parley", "access show")).text.count("UBAD") == 1

    _, first = await world.send(msg("hi", key=THREAD, user="UBAD", mentions_bot=True))
    _, second = await world.send(msg("hi again", key=THREAD, user="UBAD", mentions_bot=True))
    _, others = await world.send(msg("hi", key=THREAD, user="U2", mentions_bot=True))

    assert (first.kind, first.text) == (OutcomeKind.DENIED, NOT_ALLOWED_HERE_TEXT)
    assert second.kind is OutcomeKind.IGNORED  # the same person within the hour: not flooded
    assert others.kind is OutcomeKind.ANSWERED
    assert len(world.llm.requests) == 1  # only U2's
    world.clock.advance(seconds=3_601)
    _, an_hour_later = await world.send(msg("still?", key=THREAD, user="UBAD", mentions_bot=True))
    assert an_hour_later.kind is OutcomeKind.DENIED


async def test_access_is_decided_before_the_rate_limits() -> None:
    world = build_world(limits=LimitOptions(user="1/minute"))
    await admin(world, "access deny user UBAD")
    for _ in range(2):
        _, outcome = await world.send(msg(key=DM, user="UBAD"))
    assert outcome.kind is OutcomeKind.IGNORED and outcome.reason == "access_denied"  # never "limited"


async def test_an_allow_list_of_people_and_groups_lets_only_them_in_and_dms_follow_it(world) -> None:
    await admin(world, "access allow user U_OK")
    await admin(world, "access allow group <!subteam^S0TEAM|@team>")

    _, member = await world.send(msg(key=THREAD, user="U3", mentions_bot=True, groups=frozenset({"S0TEAM"})))
    _, listed = await world.send(msg(key=DM, user="U_OK"))
    _, stranger = await world.send(msg(key=DM, user="U4"))

    assert [member.kind, listed.kind, stranger.kind] == [OutcomeKind.ANSWERED, OutcomeKind.ANSWERED, OutcomeKind.DENIED]


async def test_a_denied_role_wins_over_an_allowed_user_and_a_denied_channel_over_everyone(world) -> None:
    await admin(world, "access allow user U_OK")
    await admin(world, "access deny role R0MUTED")
    await admin(world, "access deny channel <#C0QUIET|quiet>")

    _, muted = await world.send(msg(key=THREAD, user="U_OK", mentions_bot=True, groups=frozenset({"R0MUTED"})))
    quiet = ConversationKey("slack", "T1", "C0QUIET", "1.1")
    _, in_quiet = await world.send(msg(key=quiet, user="U_OK", mentions_bot=True))
    _, in_dm = await world.send(msg(key=DM, user="U_OK"))  # a DM follows the people rules only

    assert muted.kind is OutcomeKind.DENIED
    assert in_quiet.kind is OutcomeKind.IGNORED  # U_OK was told a moment ago; no second line
    assert in_dm.kind is OutcomeKind.ANSWERED


async def test_a_channel_allow_list_keeps_the_bot_to_those_channels_but_not_out_of_dms(world) -> None:
    await admin(world, "access allow channel C_HELP")
    _, elsewhere = await world.send(msg(key=THREAD, user="U1", mentions_bot=True))
    _, dm = await world.send(msg(key=DM, user="U2"))
    assert elsewhere.kind is OutcomeKind.DENIED and dm.kind is OutcomeKind.ANSWERED


async def test_the_operators_rules_apply_everywhere_and_cannot_be_removed_from_chat() -> None:
    defaults = AccessDefaults.of({(Effect.DENY, Kind.USER): ["UBAD"]}, summon=SummonMode.MENTION)
    world = build_world(access=defaults)
    _, outcome = await world.send(msg(key=DM, user="UBAD"))
    refused = await world.core.commands.run(ADMIN, "parley", "access remove user UBAD")
    shown = await world.core.commands.run(actor("U1"), "parley", "access show")

    assert outcome.kind is OutcomeKind.DENIED
    assert not refused.ok and "operator" in refused.text
    assert "deny user <@UBAD> (set by the operator)" in shown.text


async def test_an_always_channel_answers_top_level_messages_and_an_off_channel_only_dms(world) -> None:
    top = replace(CHANNEL, thread="2000.1")
    _, before = await world.send(msg("help?", key=top, user="U1", top_level=True))
    await admin(world, "summon always")
    _, always = await world.send(msg("help?", key=top, user="U1", top_level=True))
    await admin(world, "summon off")
    _, mentioned = await world.send(msg("you there?", key=replace(CHANNEL, thread="3000.1"), user="U1",
                                        top_level=True, mentions_bot=True))
    _, in_thread = await world.send(msg("and?", key=top, user="U1"))
    _, dm = await world.send(msg(key=DM, user="U1"))
    shown = await world.core.commands.run(actor("U1"), "parley", "access show")

    assert before.kind is OutcomeKind.IGNORED and always.kind is OutcomeKind.ANSWERED
    assert mentioned.kind is OutcomeKind.IGNORED and in_thread.kind is OutcomeKind.IGNORED
    assert dm.kind is OutcomeKind.ANSWERED
    assert shown.ok and "I ignore this channel" in shown.text


async def test_threads_can_require_a_mention(world) -> None:
    await world.send(msg("start", key=THREAD, user="U1", mentions_bot=True))
    _, follow_up = await world.send(msg("more", key=THREAD, user="U2"))
    reply = await world.core.commands.run(ADMIN, "parley", "summon threads mention")
    _, quiet = await world.send(msg("chat between people", key=THREAD, user="U2"))
    _, mentioned = await world.send(msg("bot?", key=THREAD, user="U2", mentions_bot=True))

    assert follow_up.kind is OutcomeKind.ANSWERED
    assert reply.ok and "only when mentioned" in reply.text
    assert quiet.kind is OutcomeKind.IGNORED and mentioned.kind is OutcomeKind.ANSWERED


async def test_summon_default_from_the_operator() -> None:
    world = build_world(access=AccessDefaults.of({}, summon=SummonMode.ALWAYS))
    _, outcome = await world.send(msg("help?", key=replace(CHANNEL, thread="9.1"), user="U1", top_level=True))
    assert outcome.kind is OutcomeKind.ANSWERED
