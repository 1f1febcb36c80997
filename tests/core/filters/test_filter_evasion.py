"""Filters that hold against a user who tries (issue 17): look-alike and invisible characters, a time budget
that runs out, and long texts that must not stall everybody else."""

from __future__ import annotations

import asyncio

from core.filters.blocklist import Blocklist, parse_rule
from core.filters.pii import redact_pii
from core.filters.policy import FilterDefaults
from core.filters.values import BlockRule
from core.messages import OutcomeKind, Usage
from tests.core.conftest import build_world, msg

ZWSP, SOFT_HYPHEN = "\u200b", "\u00ad"


def blocking(*patterns: str, **defaults) -> FilterDefaults:
    return FilterDefaults(rules=tuple(BlockRule(p, source="settings") for p in patterns), **defaults)


async def test_disguised_blocklist_words_are_still_blocked():
    world = build_world(filters=blocking("project falcon"))
    disguises = [
        f"tell me about project fal{ZWSP}con",
        f"tell me about project fal{SOFT_HYPHEN}con",
        "tell me about ｐｒｏｊｅｃｔ ｆａｌｃｏｎ",  # fullwidth
        "tell me about prоject fаlcon",  # Cyrillic о and а
    ]
    for text in disguises:
        _, outcome = await world.send(msg(text))
        assert outcome.kind is OutcomeKind.BLOCKED, text
    assert world.llm.requests == []


def test_redaction_replaces_the_disguised_span_of_the_original_and_nothing_else():
    rules = Blocklist([parse_rule("action=redact falcon")], default_action="block")
    result = rules.apply(f"the fаl{ZWSP}con flies — ünïcödé stays")
    assert result.text == "the [redacted] flies — ünïcödé stays"


def test_pii_hidden_by_invisible_characters_is_redacted():
    assert redact_pii(f"write to ada{ZWSP}@example.com").text == "write to [email]"
    key = "sk-proj-" + "a1B2c3D4e5" * 3
    hidden = key[:12] + ZWSP + key[12:]
    assert redact_pii(f"my key is {hidden} ok").text == "my key is [openai-key] ok"
    assert redact_pii("ｓｋ-" + "a1B2c3D4e5" * 3).kinds == ("openai-key",)


def slow_rules(count: int) -> tuple[str, ...]:
    # valid (they pass the entry probes), but each needs more than its time limit on a long "xyxy…" text
    return tuple(f"/(?:xy)+(?:\\d|q|k{{{i + 1}}})/" for i in range(count))


async def test_a_blocking_check_that_runs_out_of_time_refuses_by_default():
    padding = "xy" * 7_500
    world = build_world(filters=blocking(*slow_rules(20), "/secret plan/"))
    _, outcome = await world.send(msg(padding + " the secret plan"))
    assert outcome.kind is OutcomeKind.BLOCKED and "in time" in outcome.text
    assert world.llm.requests == []
    assert ("input", "blocklist", "failed_closed") in {(d.direction, d.filter, d.action) for d in world.decisions.decisions}

    lenient = build_world(filters=blocking(*slow_rules(20), blocklist_timeout="open"))
    _, outcome = await lenient.send(msg(padding + " harmless"))
    assert outcome.kind is OutcomeKind.ANSWERED
    assert "failed_open" in {d.action for d in lenient.decisions.decisions}


async def test_a_long_message_is_checked_off_the_event_loop():
    crafted = "a@a " * 4_000  # ~16k characters of near-addresses: slow for the PII patterns
    world = build_world()
    ticks = 0
    checking = True

    async def ticker() -> None:
        nonlocal ticks
        while checking:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started_at = ticks
    await world.core.chat._content_filter.check_input(msg(crafted), crafted)  # the pipeline itself
    during = ticks - started_at
    checking = False
    await task
    assert during > 1, "the event loop was blocked for the whole check"


class Trickle:
    """A model that streams its answer ten characters at a time."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.sent = 0

    async def stream(self, request):
        for start in range(0, len(self.answer), 10):
            self.sent += 1
            yield self.answer[start:start + 10]
        yield Usage(prompt_tokens=10, completion_tokens=len(self.answer) // 4)


async def test_output_checkpoints_stop_a_blocked_answer_early_and_scan_only_what_is_new():
    llm = Trickle("fine words " * 200 + "forbidden " + "never sent " * 2_000)
    world = build_world(filters=blocking("forbidden"), llm=llm)
    scanned: list[int] = []
    pipeline = world.core.chat._content_filter
    original = pipeline.check_output

    async def spying(message, text, *, final, since=0):
        scanned.append(len(text) - since)
        return await original(message, text, final=final, since=since)

    pipeline.check_output = spying
    _, outcome = await world.send(msg("q"))
    assert outcome.kind is OutcomeKind.BLOCKED
    assert llm.sent < 300  # stopped at the checkpoint after the word, not at the end (2,400 pieces)
    assert len(scanned) > 3 and max(scanned) <= 510  # each checkpoint was given only what was new
