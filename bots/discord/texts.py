"""Every text the Discord adapter itself shows people, in one place.

Answers, refusals and command replies come from the core; these are only what
is specific to Discord (its forms, its failures).
"""

# The core's "not allowed here" line, sent as a DM (Discord has no private message in a channel): where it was.
DENIED_IN = "{text} (in <#{channel}>)"
RENDER_FAILED = "Sorry, I couldn't post my whole answer here. Please try again."
COMMAND_FAILED = "Sorry, that command failed on my side. Please try again."
FORM_FAILED = "Sorry, I couldn't save that form. Please try again."
FORM_INVALID = "Please fix the form and try again:"
FORM_TOO_LATE = "Sorry, that took too long for Discord to open the form. Please run the command again."
FORM_FIELD_TOO_LONG = (
    "This persona's {field} is longer than a Discord form can hold ({limit:,} characters). "
    "Edit it in one line instead: `/persona edit name:{name} changes:[field=value …] [new system prompt]`."
)
NOTICE_FORMAT = "-# *{notice}*"  # Discord's small "subtext" line, in italics
# What a reply that a stopped process half-showed becomes, before the next process shows the answer (or says sorry).
INTERRUPTED_ANSWER = "-# *(interrupted; the full answer follows)*"
INTERRUPTED = "-# *(interrupted)*"

PERSONA_DESCRIPTION = "Choose and manage the personas Parley answers with"
PARLEY_DESCRIPTION = "Parley: help, memory, usage and your data"

FORM_LABELS = {
    "name": "Name",
    "system_prompt": "System prompt",
    "model": "Model",
    "temperature": "Temperature",
    "max_tokens": "Max tokens",
    "memory_budget": "Memory budget",
    "channel_context": "Channel messages as context",
}

SUMMARIZE_THREAD_MENU = "Summarize thread"  # the message command (context menu) on any message
NOT_IN_A_THREAD = "That message is not in a thread, and no thread was started on it: there is no thread to summarise."
SHARE_OFFER = "Only you can see this summary. Share it with the channel?"
SHARE_BUTTON = "Share in channel"
SHARED = "Shared in the channel."
SHARE_FAILED = "I couldn't post the summary in the channel."
