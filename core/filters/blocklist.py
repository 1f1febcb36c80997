"""The blocklist: words, phrases and regular expressions, each blocking or redacting.

Rules match the normalised copy of a text (``normalise``: zero-width and
format characters dropped, NFKC, look-alike letters folded), and redaction
replaces the matching span of the original.  Admins' regular expressions run
on the ``regex`` engine with a time limit: a pattern that backtracks
catastrophically gives up after ``RULE_TIMEOUT_SECONDS`` (and every check
after ``CHECK_BUDGET_SECONDS`` in all); it cannot hang the bot.  A blocking
rule that ran out of time is ``undecided``: the pipeline then refuses the
text unless BLOCKLIST_TIMEOUT_FAILURE=open (a redacting one is skipped and
recorded).  Patterns are validated when they are added: one that does not compile,
matches empty text, or is already slow on simple probes is refused with the
reason.  Words and phrases are plain text (escaped), matched case-insensitively
on word boundaries, all of one action in one pass.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from core.filters.normalise import normalise, replace_spans
from core.filters.values import RULE_ACTIONS, BlockRule

REDACTED = "[redacted]"
MAX_PATTERN_CHARS = 200
RULE_TIMEOUT_SECONDS = 0.05
CHECK_BUDGET_SECONDS = 0.25
PROBE_TIMEOUT_SECONDS = 0.02
_PROBE_LENGTH = 2_000
_ACTION_OPTION = re.compile(r"^action=(\S+)(?:\s+|$)", re.IGNORECASE)
RULE_SYNTAX = (
    "a word or phrase, or `/regular expression/`, optionally after `action=block` or `action=redact`"
)


class RuleInvalid(ValueError):
    """A pattern refused on entry; ``str()`` is the reason, for the user."""


@dataclass(frozen=True, slots=True)
class BlocklistResult:
    text: str
    blocked_by: BlockRule | None = None
    redacted_by: tuple[BlockRule, ...] = ()
    timed_out: tuple[BlockRule, ...] = ()
    undecided: tuple[BlockRule, ...] = ()  # blocking rules that ran out of time: no verdict on them


def parse_rule(line: str, *, source: str = "chat") -> BlockRule:
    """``"[action=block|redact] <word, phrase or /regex/>"`` → a validated BlockRule; raises RuleInvalid."""
    line = line.strip()
    action = None
    option = _ACTION_OPTION.match(line)
    if option:
        action = option.group(1).lower()
        if action not in RULE_ACTIONS:
            raise RuleInvalid(f"Unknown action `{option.group(1)}`: use `action=block` or `action=redact`.")
        line = line[option.end():].strip()
    if not line:
        raise RuleInvalid(f"Give a pattern: {RULE_SYNTAX}.")
    if len(line) > MAX_PATTERN_CHARS:
        raise RuleInvalid(f"That pattern is too long ({len(line)} characters; at most {MAX_PATTERN_CHARS}).")
    rule = BlockRule(pattern=line, action=action, source=source)
    if rule.is_regex:
        _check_regex(rule.pattern[1:-1])
    elif not any(c.isalnum() for c in line):
        raise RuleInvalid("A word or phrase needs at least one letter or digit.")
    return rule


def _compile_regex(body: str) -> regex.Pattern:
    return regex.compile(body, regex.IGNORECASE | regex.VERSION0)


def _check_regex(body: str) -> None:
    if not body:
        raise RuleInvalid("That regular expression is empty.")
    try:
        compiled = _compile_regex(body)
    except (regex.error, OverflowError, RecursionError) as error:
        raise RuleInvalid(f"That regular expression does not compile: {error}.") from None
    if compiled.search("") is not None:
        raise RuleInvalid("That regular expression matches empty text, so it would match every message.")
    for probe in _probes(body):
        try:
            compiled.search(probe, timeout=PROBE_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RuleInvalid(
                "That regular expression can take too long to match (catastrophic backtracking, "
                "e.g. nested repetition like `(a+)+`). Please simplify it."
            ) from None


def _probes(body: str) -> list[str]:
    """Long runs of the pattern's own letters (and a few usual ones) ending in a mismatch."""
    chars = dict.fromkeys(c for c in body if c.isalnum())
    chars.update(dict.fromkeys("a0 x"))
    return [c * _PROBE_LENGTH + "!" for c in list(chars)[:12]] + ["ab" * (_PROBE_LENGTH // 2) + "!"]


def _phrase(pattern: str) -> str:
    return r"\s+".join(re.escape(word) for word in pattern.split())


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Words:
    """All word/phrase rules of one action, as one case-insensitive alternation."""

    def __init__(self, rules: Sequence[BlockRule]) -> None:
        self.by_text = {_normal(normalise(r.pattern).text): r for r in rules}
        ordered = sorted(self.by_text, key=len, reverse=True)
        body = "|".join(_phrase(p) for p in ordered)
        self.pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE) if ordered else None

    def first(self, text: str) -> BlockRule | None:
        if self.pattern is None:
            return None
        match = self.pattern.search(text)
        return None if match is None else self.by_text.get(_normal(match.group(0)))

    def spans(self, text: str) -> tuple[list[tuple[int, int]], list[BlockRule]]:
        """Where the rules match, and which rules those are (each once)."""
        if self.pattern is None:
            return [], []
        hit: dict[str, BlockRule] = {}
        spans = []
        for match in self.pattern.finditer(text):
            spans.append(match.span())
            rule = self.by_text.get(_normal(match.group(0)))
            if rule is not None:
                hit[rule.pattern] = rule
        return spans, list(hit.values())


class Blocklist:
    """A workspace's rules (settings' and its own), compiled once, with their effective actions."""

    def __init__(self, rules: Sequence[BlockRule], *, default_action: str) -> None:
        self.rules = tuple(rules)
        acting = {"block": [], "redact": []}  # type: dict[str, list[BlockRule]]
        for rule in rules:
            acting[rule.action or default_action].append(rule)
        self._words = {a: _Words([r for r in rs if not r.is_regex]) for a, rs in acting.items()}
        self._regexes = {
            a: [(r, _compile_regex(r.pattern[1:-1])) for r in rs if r.is_regex] for a, rs in acting.items()
        }

    def __bool__(self) -> bool:
        return bool(self.rules)

    def apply(self, text: str, *, redact: bool = True) -> BlocklistResult:
        """Block on the first blocking rule that matches; else redact what redacting rules match."""
        deadline = time.perf_counter() + CHECK_BUDGET_SECONDS
        copy = normalise(text)
        subject = copy.text
        blocked = self._words["block"].first(subject)
        if blocked is not None:
            return BlocklistResult(text=text, blocked_by=blocked)
        timed_out: list[BlockRule] = []
        for rule, pattern in self._regexes["block"]:
            try:
                if pattern.search(subject, timeout=_left(deadline)) is not None:
                    return BlocklistResult(text=text, blocked_by=rule, timed_out=tuple(timed_out))
            except TimeoutError:
                timed_out.append(rule)
        undecided = tuple(timed_out)
        if not redact:
            return BlocklistResult(text=text, timed_out=undecided, undecided=undecided)
        spans, redacted = self._words["redact"].spans(subject)
        for rule, pattern in self._regexes["redact"]:
            try:
                found = [match.span() for match in pattern.finditer(subject, timeout=_left(deadline))]
            except TimeoutError:
                timed_out.append(rule)
                continue
            if found:
                spans += found
                redacted.append(rule)
        if spans:
            text = replace_spans(text, ((*copy.span(start, end), REDACTED) for start, end in spans))
        return BlocklistResult(
            text=text, redacted_by=tuple(redacted), timed_out=tuple(timed_out), undecided=undecided
        )


def _left(deadline: float) -> float:
    """The time limit for the next match: the per-rule limit, within what is left of the check's budget.

    Raises TimeoutError at once when the budget is spent (the rule is skipped like one that timed out).
    """
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError("blocklist check budget spent")
    return min(RULE_TIMEOUT_SECONDS, left)
