"""A channel's settings and stored memory: retention, memory on/off, reset, export, forget-me."""
