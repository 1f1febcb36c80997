"""What the message path tells people, in one place."""

from __future__ import annotations

INTERNAL_ERROR_TEXT = "Sorry, something went wrong on my side and I couldn't answer. Please try again."
EMPTY_ANSWER_TEXT = "Sorry, the language model sent back an empty answer. Please try again."
OUTPUT_BLOCKED_TEXT = "I wrote an answer, but my output filter held it back."
INPUT_BLOCKED_TEXT = "I can't help with that message: a content filter blocked it."
DELAYED_NOTICE = "Sorry this answer is late: I was restarted while I was answering."
LATE_APOLOGY_TEXT = (
    "Sorry, I was restarted before I could answer your message from {when}, and it is too late to answer it "
    "now. Please send it again."
)
