"""What people read about summaries."""

NOTHING_TO_SUMMARISE = (
    "There is nothing here for me to summarise yet: mention me with `summarize` inside a thread that has messages."
)
SUMMARY_UNAVAILABLE = (
    "I can't read this thread's messages here (the app is missing a permission), so I can't summarise it. "
    "An admin can fix this; see the README, \"Thread context\"."
)
SUMMARY_FAILED = "I couldn't write the summary just now. Please try again in a moment."
NOT_IN_A_DM = "`/parley summarize` works in a channel (or, on Discord, in a thread); there is nothing to summarise in a DM."
BAD_HOURS = "`{given}` is not a number of hours: use a whole number from 1 to {most}, like `/parley summarize 8`."
NOT_VISIBLE_TEXT = (
    "I can only summarise a channel or thread for its members, and you are not a member of this one."
)
SUMMARY_BLOCKED = "The summary was held back by this workspace's content filters."
CHANNEL_SUMMARY_TITLE = "**Summary of this channel, last {hours} hours** (only you can see this):"
THREAD_SUMMARY_TITLE = "**Summary of this thread:**"
CHANNEL_SHARED_TITLE = "**Summary of this channel, last {hours} hours:**"
