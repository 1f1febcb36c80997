"""Every user-facing text the Slack adapter itself writes (the core writes the rest)."""

from __future__ import annotations

RENDER_FAILED = "Sorry, something went wrong while I was posting my answer. Please try again."
COMMAND_FAILED = "Sorry, that command failed on my side. Please try again."
FORM_FAILED = "Sorry, I couldn't save the persona because of a problem on my side. Please try again."
FORM_UNAVAILABLE = "I couldn't open the persona form here; type the command in one line instead:"
FILE_SENT = "I sent you the file in our direct messages."
FILE_FAILED = "I couldn't send you the file (Slack refused the upload); please try again later."

FORM_TITLE_CREATE = "New persona"
FORM_TITLE_EDIT = "Edit persona"
FORM_TITLE_RESULT = "Persona"
FORM_LOADING = "Opening the form…"
FORM_TOO_BIG = "This persona does not fit in Slack's form; type the change in one line instead:"
REPLY_CUT = "_(The rest did not fit in Slack's replies.)_"
REPLY_INTERRUPTED = "_(Interrupted: I was restarted while writing this. The full answer follows.)_"
FORM_SUBMIT = "Save"
FORM_CLOSE = "Cancel"
FORM_DONE = "Close"
FORM_LABELS = {
    "name": "Name",
    "system_prompt": "System prompt",
    "model": "Model",
    "temperature": "Temperature",
    "max_tokens": "Max tokens",
    "memory_budget": "Memory budget (tokens)",
    "channel_context": "Channel messages as context",
}
FORM_HINTS = {
    "name": "1–32 characters: lowercase letters, digits, '-' or '_'.",
    "model": "Leave empty for the default model.",
    "temperature": "0 to 2; empty for 0.7.",
    "max_tokens": "Longest answer, in tokens; empty for 1024.",
    "memory_budget": "Tokens of conversation history sent with each request; empty for 3000.",
    "channel_context": "A mention at the top of a channel also gets this many earlier channel messages (0–20); empty for 0.",
}

ASSISTANT_THINKING = "is thinking…"
ASSISTANT_PROMPTS_TITLE = "Try asking"
ASSISTANT_PROMPTS = (
    {"title": "Summarise a text", "message": "Summarise this text in three bullet points: "},
    {"title": "Explain some code", "message": "Explain what this code does, step by step:\n```\n\n```"},
    {"title": "What can you do?", "message": "What can you help me with, and which commands do you know?"},
)

SHARE_OFFER = "Only you can see this summary. Share it with the channel?"
SHARE_BUTTON = "Share in channel"
SHARED = "Shared in the channel."
SHARE_EXPIRED = "This summary can no longer be shared: run `/parley summarize` again."
SHARE_FAILED = "I couldn't post the summary in the channel."
