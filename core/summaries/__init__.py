"""Summaries: a thread (or a channel's last hours) summarised with the channel's persona, on request."""
