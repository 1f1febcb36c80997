"""Moderation (the ``Moderator`` port is in core/ports/): a classifier that scores text by category (OpenAI's moderation endpoint).

Three states, and they are not the same thing:
- available: the endpoint answers (or has not been asked yet);
- unavailable: there is no endpoint at all (HTTP 404, the bundled local
  model, or no server configured). Said once, at start; the local rules and
  redaction run alone and every answer still goes out;
- failing: an endpoint that exists timed out or erred (5xx, connection).
  ``ModerationFailed``; the fail-open/fail-closed settings decide.
"""

from __future__ import annotations

from core.filters.values import Availability, ModerationHit, ModerationResult

# omni-moderation-latest's categories (the text ones and the image ones).
CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
ANY_CATEGORY = "*"


class ModerationFailed(Exception):
    """An endpoint that exists did not give an answer (timeout, 5xx, connection); ``cause`` is safe to log."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class ModerationUnavailable(Exception):
    """There is no moderation endpoint (found out while asking)."""


class NoModeration:
    """No endpoint: moderation is unavailable for the stated reason (the bundled local model, or turned off)."""

    def __init__(self, reason: str) -> None:
        self._availability = Availability(available=False, reason=reason)

    @property
    def availability(self) -> Availability:
        return self._availability

    async def probe(self) -> Availability:
        return self._availability

    async def check(self, text: str) -> ModerationResult:
        raise ModerationUnavailable(self._availability.reason)


def hits_above(
    scores: dict[str, float], flags: dict[str, bool], *, thresholds: dict[str, float]
) -> tuple[ModerationHit, ...]:
    """Categories at or above their threshold; without one (nor ``*``), the endpoint's own flag decides."""
    hits = []
    for category, score in scores.items():
        threshold = thresholds.get(category, thresholds.get(ANY_CATEGORY))
        hit = score >= threshold if threshold is not None else bool(flags.get(category))
        if hit:
            hits.append(ModerationHit(category=category, score=score))
    return tuple(sorted(hits, key=lambda h: -h.score))
