"""Personas: the value, which one a channel uses, the admin commands, the cache."""
