"""OpenAI's token tables, read from the files beside this module: never a download.

``cl100k_base.tiktoken.gz`` and ``o200k_base.tiktoken.gz`` are OpenAI's own
tables (``https://openaipublic.blob.core.windows.net/encodings/<name>.tiktoken``,
gzipped), checked on load against the SHA-256 that tiktoken itself expects of
them.  tiktoken (OpenAI's tokenizer) then counts with them: it would download
the tables at first use, which Parley must not need.  The patterns and special
tokens are tiktoken's (``tiktoken_ext/openai_public.py``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import tiktoken

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Table:
    sha256: str  # of the uncompressed file, as tiktoken checks it
    pattern: str
    special_tokens: dict[str, int]


TABLES = {
    "cl100k_base": Table(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pattern=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        special_tokens={
            "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
    "o200k_base": Table(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pattern="|".join([
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]),
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
}


class DamagedTable(Exception):
    """A table file is missing or is not the one OpenAI published."""


@lru_cache(maxsize=None)
def encoding(name: str) -> tiktoken.Encoding:
    """The encoding ``name`` (a key of TABLES), for counting (``encode_ordinary``); raises DamagedTable."""
    table = TABLES[name]
    path = HERE / f"{name}.tiktoken.gz"
    digest, ranks = hashlib.sha256(), {}
    try:
        with gzip.open(path, "rb") as lines:  # a line at a time: the table's 200,000 lines are never all in memory
            for line in lines:
                digest.update(line)
                if line.strip():
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
    except (OSError, EOFError, ValueError) as exc:
        raise DamagedTable(f"{path.name}: {type(exc).__name__}") from None
    if digest.hexdigest() != table.sha256:
        raise DamagedTable(f"{path.name}: not OpenAI's table (its SHA-256 differs)")
    counter = tiktoken.Encoding(name, pat_str=table.pattern, mergeable_ranks=ranks, special_tokens=table.special_tokens)
    # tiktoken's Rust core has copied the table; the Python dict it was built from is kept only for pickling
    # and encoding single pieces in Python, which a counter never does: emptied, it gives back ~21 MiB.
    # Counting (encode_ordinary) is checked against OpenAI's own figures in tests/core/test_tokens.py.
    ranks.clear()
    return counter


def encoding_name_for(model: str) -> str:
    """The table a model counts with: tiktoken's own mapping, o200k_base for models it does not know."""
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return "o200k_base"
    return name if name in TABLES else "o200k_base"
