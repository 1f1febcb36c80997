"""Feedback as it happens: each answer noted when it is stored, then 👍 / 👎 clicks and a 👎's comment.

An answer is noted with the persona and model that wrote it (and where), never its text, so a click
that arrives in any process, after any restart, knows what it rates.  A person has one rating per
answer: a second click with the other button changes it (a 👍 drops the 👎's comment).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from core.chat.input_text import clean_text, valid_text
from core.feedback import texts
from core.feedback.values import COMMENT_MAX_CHARS, RatedAnswer, Rating, Recorded
from core.messages import IncomingMessage
from core.ports import Clock, FeedbackStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ClickReply:
    """What to tell the person who clicked; ``ask_comment``: offer the optional comment (a 👎)."""

    text: str
    recorded: Recorded | None = None  # None: not recorded (unknown answer, or the store failed)
    ask_comment: bool = False


_TEXTS = {
    (Recorded.NEW, Rating.UP): texts.THANKS_UP, (Recorded.NEW, Rating.DOWN): texts.THANKS_DOWN,
    (Recorded.CHANGED, Rating.UP): texts.CHANGED_UP, (Recorded.CHANGED, Rating.DOWN): texts.CHANGED_DOWN,
    (Recorded.SAME, Rating.UP): texts.SAME_UP, (Recorded.SAME, Rating.DOWN): texts.SAME_DOWN,
}


class FeedbackRecorder:
    def __init__(self, *, store: FeedbackStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def rateable(self, message: IncomingMessage, *, persona: str, model: str) -> RatedAnswer:
        """The note that makes the answer to ``message`` rateable: the answer stores it with the exchange."""
        key = message.key
        return RatedAnswer(
            platform=key.platform, answer_id=message.event_id, workspace=key.workspace, channel=key.channel,
            thread=key.thread, persona=persona, model=model, created_at=self._clock.now(),
        )

    async def rate(self, *, platform: str, answer_id: str, user: str, rating: Rating) -> ClickReply:
        """A click on 👍 or 👎 of the answer ``answer_id``."""
        bound = log.bind(platform=platform, answer_id=answer_id, user=user, rating=rating.value)
        try:
            answer = await self._store.find_answer(platform=platform, answer_id=answer_id)
            if answer is None:
                bound.info("feedback.unknown_answer")
                return ClickReply(texts.UNKNOWN_ANSWER)
            recorded = await self._store.rate(answer, user=user, rating=rating, at=self._clock.now())
        except Exception:
            bound.exception("feedback.failed")
            return ClickReply(texts.UNAVAILABLE)
        bound.info("feedback.recorded", recorded=recorded.value, persona=answer.persona, model=answer.model)
        return ClickReply(
            _TEXTS[(recorded, rating)], recorded=recorded, ask_comment=rating is Rating.DOWN and recorded is not Recorded.SAME,
        )

    async def comment(self, *, platform: str, answer_id: str, user: str, text: str) -> str:
        """The optional comment of a 👎, from the platform's form; returns what to tell the person."""
        comment = clean_text(valid_text(text))
        if not comment:
            return texts.COMMENT_EMPTY
        if len(comment) > COMMENT_MAX_CHARS:
            return texts.COMMENT_TOO_LONG.format(limit=COMMENT_MAX_CHARS)
        bound = log.bind(platform=platform, answer_id=answer_id, user=user)
        try:
            saved = await self._store.comment(
                platform=platform, answer_id=answer_id, user=user, comment=comment, at=self._clock.now()
            )
        except Exception:
            bound.exception("feedback.comment_failed")
            return texts.UNAVAILABLE
        bound.info("feedback.commented", saved=saved, chars=len(comment))
        return texts.COMMENT_SAVED if saved else texts.COMMENT_WITHOUT_DOWN
