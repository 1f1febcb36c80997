"""Signing a request body the way Slack signs what it delivers to an app (Events API, commands, interactions)."""

from __future__ import annotations

import hashlib
import hmac
import time


def signed_headers(secret: str, body: str, *, timestamp: int | None = None) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (v0, HMAC-SHA256) for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
