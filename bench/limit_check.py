"""How much a rate-limit check adds per message: memory:// and local Redis.

    python -m bench.limit_check            # prints one JSON object

Times ``RequestRateLimiter.check`` (three scopes: user, channel, workspace,
each a moving window, overrides read from an in-memory store) for messages
from many users in many channels, so every check tests and hits three windows.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid

from core.limits.rate import LimitDefaults, RequestRateLimiter, limits_storage
from core.messages import ConversationKey, IncomingMessage
from core.personas.values import builtin_persona

class NoOverrides:
    async def get(self, workspace, *, channels):
        return {}


CHECKS = 5_000
WARMUP = 500
REDIS_URL = os.environ.get("PARLEY_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(storage_url: str) -> dict:
    limiter = RequestRateLimiter(
        storage=limits_storage(storage_url, key_prefix=f"parley-bench-{uuid.uuid4().hex}"),
        defaults=LimitDefaults(user="1000/minute;10000/day", channel="100000/minute", workspace="1000000/minute"),
        overrides=NoOverrides(),
    )
    persona = builtin_persona(model="gpt-4o-mini")
    messages = [
        IncomingMessage(
            event_id=str(i), key=ConversationKey("slack", "T1", f"C{i % 50}"), user=f"U{i % 200}", text="hi"
        )
        for i in range(CHECKS + WARMUP)
    ]
    samples = []
    for i, message in enumerate(messages):
        started = time.perf_counter()
        decision = await limiter.check(message, persona=persona)
        elapsed = (time.perf_counter() - started) * 1000
        assert decision is None, decision
        if i >= WARMUP:
            samples.append(elapsed)
    return {
        "storage": storage_url.split("://")[0],
        "checks": len(samples),
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 99), 3),
        "max_ms": round(max(samples), 3),
    }


async def main() -> None:
    results = [await measure("memory://")]
    try:
        results.append(await measure(REDIS_URL))
    except Exception as error:  # no Redis on this machine: say so in the output
        results.append({"storage": "redis", "error": f"{type(error).__name__}: {error}"})
    print(json.dumps({"benchmark": "limit_check", "python": platform.python_version(),
                      "cpus": os.cpu_count(), "results": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
