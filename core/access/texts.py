"""What the access feature tells people, in one place (every adapter shows the same words)."""

from __future__ import annotations

NOT_ALLOWED_HERE_TEXT = "Sorry, you are not allowed to use me here. An admin can change that with `/parley access`."


def too_many_messages_notice(*, shown: int, filename: str) -> str:
    """The notice after the first ``shown`` messages of an answer too long for the channel."""
    return f"_This answer is long: the first {shown} messages are above, and the whole answer is in `{filename}`._"


ANSWER_FILENAME = "answer.md"
