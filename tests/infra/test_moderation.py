"""Moderation through the real ``openai`` client against the stand-in server: clean and flagged, input
and output, an endpoint that errs (fail-open/fail-closed), and one that is not there (unavailable)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import structlog

from core.filters.openai_moderation import OpenAIModeration
from core.filters.policy import FilterDefaults
from core.llm.openai_provider import OpenAIProvider
from core.messages import OutcomeKind
from tests.core.conftest import World, actor, build_world, msg
from tests.standins.openai_server import MODERATION_CATEGORIES, Flagged, OddModeration, OpenAIStandIn, Reply, Stall, Status

CLEAN = Flagged(categories=())  # a moderation answer that flags nothing, to queue before a scripted one


@pytest.fixture
async def server() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn() as standin:
        yield standin


@pytest.fixture
async def make_world() -> AsyncIterator[Callable[..., World]]:
    clients: list = []

    def make(server: OpenAIStandIn, *, thresholds=None, timeout: float = 5.0, **defaults) -> World:
        llm = OpenAIProvider(api_key="test-key", base_url=server.base_url, timeout=5.0, max_retries=0)
        moderator = OpenAIModeration(
            api_key="test-key", base_url=server.base_url, model="omni-moderation-latest",
            thresholds=thresholds, timeout=timeout, max_retries=0, clock=lambda: world.clock_now,
        )
        clients.extend([llm, moderator])
        world = build_world(llm=llm, moderator=moderator, filters=FilterDefaults(**defaults))
        world.moderator = moderator  # type: ignore[attr-defined]
        world.clock_now = 1_000.0  # type: ignore[attr-defined]  # the moderator's monotonic clock
        return world

    yield make
    for client in clients:
        await client.close()


async def test_clean_input_and_output_are_both_moderated_and_answered(server, make_world):
    world = make_world(server)
    _, outcome = await world.send(msg("a friendly question"))
    assert outcome.kind is OutcomeKind.ANSWERED and outcome.text == "echo: a friendly question"
    bodies = [r.json for r in server.moderation_requests]
    assert bodies == [
        {"model": "omni-moderation-latest", "input": "a friendly question"},
        {"model": "omni-moderation-latest", "input": "echo: a friendly question"},
    ]
    assert world.decisions.decisions == []


async def test_flagged_input_is_refused_before_the_llm(server, make_world):
    world = make_world(server)
    server.flag_text("nasty", "hate")
    _, outcome = await world.send(msg("something nasty"))
    assert outcome.kind is OutcomeKind.BLOCKED and outcome.reason == "moderation"
    assert outcome.text == "I can't pass that message on: the moderation check flagged it (hate)."
    assert server.chat_requests == []
    assert world.decisions.summary() == [("input", "moderation", "hate", "blocked")]


async def test_flagged_output_is_held_back_and_not_stored(server, make_world):
    world = make_world(server)
    server.script(Reply("here is a violent answer"))
    server.flag_text("violent", "violence")
    _, outcome = await world.send(msg("tell me a story"))
    assert outcome.kind is OutcomeKind.BLOCKED and "(violence)" in outcome.text and "violent" not in outcome.text
    assert [(role, status) for role, _, status in world.turns.contents()] == [("user", "failed")]
    assert world.decisions.summary() == [("output", "moderation", "violence", "blocked")]


async def test_flag_mode_lets_it_through_and_records_it(server, make_world):
    world = make_world(server)
    await world.core.commands.run(actor("U_OWNER"), "parley", "filter set moderation flag")
    server.script_moderation(Flagged(("harassment",)))
    _, outcome = await world.send(msg("hmm"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert world.decisions.summary() == [("input", "moderation", "harassment", "flagged")]


async def test_thresholds_decide_per_category(server, make_world):
    strict = make_world(server, thresholds={"*": 0.5})
    server.script_moderation(Flagged(("self-harm",), score=0.6))
    assert (await strict.send(msg("one")))[1].kind is OutcomeKind.BLOCKED
    lenient = make_world(server, thresholds={"hate": 0.99})
    server.script_moderation(Flagged(("hate",), score=0.97))
    assert (await lenient.send(msg("two")))[1].kind is OutcomeKind.ANSWERED


async def test_an_erring_endpoint_fails_open_on_input_by_default(server, make_world):
    world = make_world(server)
    server.script_moderation(Status(500))
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.ANSWERED and len(server.chat_requests) == 1
    assert world.decisions.summary() == [("input", "moderation", "error", "failed_open")]


async def test_an_erring_endpoint_fails_closed_on_input_when_told(server, make_world):
    world = make_world(server, input_failure="closed")
    server.script_moderation(Status(503))
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.BLOCKED and outcome.reason == "moderation_failed"
    assert "moderation service" in outcome.text and server.chat_requests == []


async def test_an_erring_endpoint_fails_closed_on_output_by_default(server, make_world):
    world = make_world(server)
    server.script_moderation(CLEAN, Status(500))
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.BLOCKED and outcome.text.startswith("I wrote an answer, but couldn't check it")
    assert world.decisions.summary() == [("output", "moderation", "error", "failed_closed")]


async def test_a_timing_out_endpoint_fails_open_on_output_when_told(server, make_world):
    world = make_world(server, output_failure="open", timeout=0.3)
    server.script_moderation(CLEAN, Stall())
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert world.decisions.summary() == [("output", "moderation", "error", "failed_open")]


ODD_ANSWERS = {
    "no results": {"id": "modr-1", "model": "m"},
    "results not a list": {"results": {"flagged": False}},
    "a result without scores": {"results": [{"flagged": False, "categories": {"hate": False}}]},
    "a score that is not a number": {"results": [{"categories": {"hate": True}, "category_scores": {"hate": "high"}}]},
    "no result for the input": {"results": []},
    "not JSON at all": "<html>moderation</html>",
}


@pytest.mark.parametrize("odd", ODD_ANSWERS.values(), ids=ODD_ANSWERS.keys())
async def test_an_answer_of_odd_shape_is_a_failure_for_the_failure_policy(server, make_world, odd):
    world = make_world(server, input_failure="closed")
    server.script_moderation(OddModeration(odd))
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.BLOCKED and outcome.reason == "moderation_failed"
    assert server.chat_requests == []


async def test_null_scores_and_categories_it_does_not_know_are_passed_over(server, make_world):
    world = make_world(server, input_failure="closed")
    scores = {**{c: 0.0001 for c in MODERATION_CATEGORIES}, "hate": None, "spam/new": 0.0002}
    server.script_moderation(OddModeration({"results": [{"categories": {"hate": None, "spam/new": False},
                                                          "category_scores": scores}]}))
    _, outcome = await world.send(msg("hello"))
    assert outcome.kind is OutcomeKind.ANSWERED and len(server.chat_requests) == 1


async def test_a_server_without_the_endpoint_is_unavailable_said_once_and_answers_go_out(make_world):
    async with OpenAIStandIn(moderations=False) as server:
        world = make_world(server)
        with structlog.testing.capture_logs() as logs:
            availability = await world.moderator.probe()
            outcomes = [(await world.send(msg(f"question {n}")))[1] for n in range(3)]
        assert not availability.available and "HTTP 404" in availability.reason
        assert [o.kind for o in outcomes] == [OutcomeKind.ANSWERED] * 3
        assert len(server.moderation_requests) == 1 and len(server.chat_requests) == 3  # only the probe asked
        warnings = [e for e in logs if e["event"] == "moderation.unavailable"]
        assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
        shown = (await world.core.commands.run(actor("U1"), "parley", "filter show")).text
        assert "unavailable" in shown and "HTTP 404" in shown and "answers still go out" in shown
        assert world.decisions.decisions == []


async def test_a_404_before_the_endpoint_ever_answered_makes_it_unavailable_until_the_recheck(server, make_world):
    world = make_world(server, output_failure="closed")
    server.script_moderation(Status(404))
    _, first = await world.send(msg("one"))
    _, second = await world.send(msg("two"))
    assert first.kind is second.kind is OutcomeKind.ANSWERED
    assert len(server.moderation_requests) == 1  # not asked again at once...
    world.clock_now += 61  # ...but after the pause: the server has the endpoint after all
    server.flag_text("nasty", "hate")
    _, third = await world.send(msg("something nasty"))
    assert third.kind is OutcomeKind.BLOCKED and third.reason == "moderation"
    assert world.moderator.availability.available


async def test_a_404_from_an_endpoint_that_answered_before_follows_the_failure_policy(server, make_world):
    world = make_world(server, input_failure="closed")
    assert (await world.send(msg("first")))[1].kind is OutcomeKind.ANSWERED  # the endpoint answers
    server.script_moderation(Status(404))
    _, refused = await world.send(msg("second"))
    assert refused.kind is OutcomeKind.BLOCKED and "couldn't check your message" in refused.text
    server.flag_text("nasty", "hate")
    _, third = await world.send(msg("something nasty"))  # moderation is still on: not switched off by one 404
    assert third.kind is OutcomeKind.BLOCKED and third.reason == "moderation"


async def test_which_moderator_the_settings_give_and_what_start_says():
    from core.filters.setup import moderator_for, start_moderation
    from core.config import load_settings
    from core.filters.moderation import NoModeration

    local = load_settings(_env_file=None, llm_provider="local")
    off = load_settings(_env_file=None, openai_api_key="k", moderation_enabled=False)
    own = load_settings(_env_file=None, llm_provider="local", moderation_base_url="http://127.0.0.1:9/v1")
    assert isinstance(moderator_for(off), NoModeration) and isinstance(moderator_for(own), OpenAIModeration)
    await moderator_for(own).close()
    with structlog.testing.capture_logs() as logs:
        await start_moderation(moderator_for(local), local)
        await start_moderation(moderator_for(off), off)
    (warning,) = [e for e in logs if e["event"] == "moderation.unavailable"]
    assert "bundled local model" in warning["reason"] and warning["log_level"] == "warning"


async def test_checks_that_arrive_together_share_one_request_and_each_gets_its_own_result(server):
    import asyncio

    moderator = OpenAIModeration(api_key="test-key", base_url=server.base_url, model="omni-moderation-latest",
                                 max_retries=0)
    server.flag_text("nasty", "hate")
    try:
        texts = [f"message {n}" + (" nasty" if n % 5 == 0 else "") for n in range(20)]
        results = await asyncio.gather(*(moderator.check(text) for text in texts))
    finally:
        await moderator.close()
    assert [bool(r.hits) for r in results] == [n % 5 == 0 for n in range(20)]
    assert len(server.moderation_requests) == 1  # twenty checks, one round trip
    assert server.moderation_requests[0].json["input"] == texts
