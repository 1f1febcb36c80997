"""Counting tokens offline.

We count with tiktoken, OpenAI's own tokenizer, over OpenAI's cl100k/o200k
tables kept beside this module (``core/tokens/tables.py``: tiktoken would
download them at first use, and Parley must not need the network at run time).
Models tiktoken does not know (Llama, Mistral, ... behind an OpenAI-compatible
server) are counted with o200k_base, which is close enough for budgeting a
memory window.  If the tables cannot be loaded at all we fall back to the
documented estimate: one token per four characters, rounded up.
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


class TiktokenCounter:
    """Exact counts for OpenAI models, a close count for others, never a download.

    A user's text is counted as text: ``<|endoftext|>`` typed into a message is
    counted as the characters it is, not as a special token (nor refused)."""

    def count(self, text: str, *, model: str) -> int:
        if not text:
            return 0
        encoding = _encoding_for(model)
        if encoding is None:
            return estimate_tokens(text)
        return len(encoding.encode_ordinary(text))


@lru_cache(maxsize=32)
def _encoding_for(model: str):
    from core.tokens.tables import DamagedTable, encoding, encoding_name_for

    try:
        return encoding(encoding_name_for(model))
    except DamagedTable as exc:
        log.warning("tokens.estimating", reason=str(exc))
        return None


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
