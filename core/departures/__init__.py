"""Workspaces that removed the app: their data is kept for a grace period, then erased."""
