"""Summarising a transcript with the persona's model, in parts when it is long.

The lines are cut into parts of at most ``part_chars`` characters (a line
never split); one part is summarised in one call; more are summarised each,
then the part summaries combined in one last call, so a busy channel never
exceeds the model's context.  Every call's usage is returned, to be charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.llm.complete import complete
from core.llm_types import ChatMessage, CompletionRequest
from core.messages import Usage
from core.personas.values import Persona
from core.ports import LLMProvider

PART_CHARS = 12_000  # about 3,000 tokens of transcript per call
SUMMARY_TOKENS = 600  # the longest summary (of a part, or the combined one)
SUMMARY_TEMPERATURE = 0.2

SUMMARISE_PART = (
    "Summarise this chat transcript for the people in it. Each line is one message, with its author in "
    "brackets. Keep decisions, open questions, who is doing what, and numbers; drop small talk. Use short "
    "Markdown bullet points. Write only the summary."
)
COMBINE_PARTS = (
    "These are summaries of consecutive parts of one chat, oldest first. Combine them into one summary for "
    "the people in it: decisions, open questions, who is doing what. Short Markdown bullet points; write "
    "only the summary."
)


@dataclass(frozen=True, slots=True)
class SummaryResult:
    text: str
    usage: Usage  # the final call's
    earlier_usage: tuple[Usage, ...] = ()  # each part's call, when there were parts
    parts: int = 1


def parts_of(lines: Sequence[str], *, part_chars: int) -> list[list[str]]:
    """Consecutive runs of lines of at most ``part_chars`` characters each (a longer line is a part alone)."""
    parts: list[list[str]] = []
    size = 0
    for line in lines:
        if parts and size + len(line) + 1 <= part_chars:
            parts[-1].append(line)
            size += len(line) + 1
        else:
            parts.append([line])
            size = len(line) + 1
    return parts


def calls_needed(lines: Sequence[str], *, part_chars: int = PART_CHARS) -> int:
    parts = len(parts_of(lines, part_chars=part_chars))
    return 1 if parts <= 1 else parts + 1


class Summarizer:
    def __init__(self, llm: LLMProvider, *, part_chars: int = PART_CHARS) -> None:
        self._llm = llm
        self._part_chars = part_chars

    @property
    def part_chars(self) -> int:
        return self._part_chars

    async def summarise(self, lines: Sequence[str], *, persona: Persona, spent: list[Usage] | None = None) -> SummaryResult:
        """The summary of ``lines`` (not empty). Raises LLMError; each finished call's usage is appended to
        ``spent`` as it comes, so what a failure after some parts consumed is still charged."""
        spent = [] if spent is None else spent
        parts = parts_of(lines, part_chars=self._part_chars)
        if len(parts) == 1:
            text, usage = await self._call(SUMMARISE_PART, "\n".join(parts[0]), persona=persona)
            spent.append(usage)
            return SummaryResult(text=text, usage=usage)
        summaries: list[str] = []
        usages: list[Usage] = []
        for number, part in enumerate(parts, 1):
            text, usage = await self._call(SUMMARISE_PART, "\n".join(part), persona=persona)
            summaries.append(f"Part {number}:\n{text}")
            usages.append(usage)
            spent.append(usage)
        text, usage = await self._call(COMBINE_PARTS, "\n\n".join(summaries), persona=persona)
        spent.append(usage)
        return SummaryResult(text=text, usage=usage, earlier_usage=tuple(usages), parts=len(parts))

    async def _call(self, instruction: str, transcript: str, *, persona: Persona) -> tuple[str, Usage]:
        request = CompletionRequest(
            model=persona.model,
            messages=(ChatMessage("system", f"{persona.system_prompt}\n\n{instruction}"), ChatMessage("user", transcript)),
            temperature=SUMMARY_TEMPERATURE, max_tokens=min(SUMMARY_TOKENS, persona.max_tokens),
        )
        text, usage = await complete(self._llm, request)
        return text.strip(), usage
