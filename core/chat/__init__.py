"""The message path: admit, generate, finish; the memory window; the input text; locks."""
