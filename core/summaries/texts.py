"""What people read about summaries."""

NOTHING_TO_SUMMARISE = (
    "There is nothing here for me to summarise yet: mention me with `summarize` inside a thread that has messages."
)
SUMMARY_UNAVAILABLE = (
    "I can't read this thread's messages here (the app is missing a permission), so I can't summarise it. "
    "An admin can fix this; see the README, \"Thread context\"."
)
SUMMARY_FAILED = "I couldn't write the summary just now. Please try again in a moment."
