"""TtlCache, the per-process cache each feature puts in front of its rarely-changed settings."""

from __future__ import annotations

from core.ttl_cache import TtlCache


def test_the_cache_is_bounded():
    cache = TtlCache(ttl=60, now=lambda: 0.0, max_entries=3)
    for i in range(10):
        cache.put(i, i)
    assert len(cache._entries) == 3  # noqa: SLF001
