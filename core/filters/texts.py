"""What the filters say to people, in one place. None of it echoes the filtered text."""

from __future__ import annotations

INPUT_BLOCKED_BY_RULE = (
    "I can't pass that message on: it contains something this workspace's blocklist doesn't allow. "
    "Please rephrase it."
)
INPUT_BLOCKED_BY_MODERATION = "I can't pass that message on: the moderation check flagged it ({categories})."
INPUT_MODERATION_FAILED = (
    "I couldn't check your message with the moderation service just now, so I didn't send it to the model. "
    "Please try again in a moment."
)
INPUT_BLOCKLIST_TIMED_OUT = (
    "I couldn't finish checking that message against this workspace's blocklist in time, so I didn't pass it "
    "on. Please shorten it."
)
OUTPUT_BLOCKLIST_TIMED_OUT = (
    "I wrote an answer, but couldn't finish checking it against this workspace's blocklist in time, "
    "so I held it back."
)
OUTPUT_BLOCKED_BY_RULE = (
    "I wrote an answer, but it contained something this workspace's blocklist doesn't allow, so I held it back."
)
OUTPUT_BLOCKED_BY_MODERATION = "I wrote an answer, but the moderation check flagged it ({categories}), so I held it back."
OUTPUT_MODERATION_FAILED = (
    "I wrote an answer, but couldn't check it with the moderation service, so I held it back. "
    "Please try again in a moment."
)
PII_REDACTED_NOTICE = "I replaced {kinds} in your message with a placeholder before the model or my memory saw it."
INPUT_REDACTED_NOTICE = "Part of your message was redacted by this workspace's blocklist."
OUTPUT_REDACTED_NOTICE = "Part of this answer was redacted by this workspace's blocklist."
