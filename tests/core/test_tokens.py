"""Counting tokens: OpenAI's tables, offline and checked; RememberingTokenCounter counts each text once."""

from __future__ import annotations

import gzip

import pytest
from structlog.testing import capture_logs

from core import tokens
from core.tokens import RememberingTokenCounter, TiktokenCounter, estimate_tokens
from core.tokens import tables


@pytest.mark.parametrize(("model", "ids"), [
    # OpenAI's cookbook, "How to count tokens with tiktoken": the same text in each table.
    ("gpt-4", [83, 1609, 5963, 374, 2294, 0]),         # cl100k_base
    ("gpt-4o-mini", [83, 8251, 2488, 382, 2212, 0]),   # o200k_base
])
def test_counts_are_openais_own(model, ids):
    assert tables.encoding(tables.encoding_name_for(model)).encode_ordinary("tiktoken is great!") == ids
    assert TiktokenCounter().count("tiktoken is great!", model=model) == len(ids)


def test_a_model_tiktoken_does_not_know_is_counted_with_o200k():
    assert tables.encoding_name_for("llama-3.1-8b-instruct") == "o200k_base"
    assert TiktokenCounter().count("tiktoken is great!", model="llama-3.1-8b-instruct") == 6


def test_special_tokens_typed_into_a_message_are_counted_as_text():
    counted = TiktokenCounter().count("say <|endoftext|> now", model="gpt-4o")
    assert counted > 3  # the marker is several ordinary tokens, and nothing is refused


def test_a_damaged_table_falls_back_to_the_estimate_and_says_so(tmp_path, monkeypatch):
    (tmp_path / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(b"aGVsbG8= 0\n"))  # not OpenAI's table
    monkeypatch.setattr(tables, "HERE", tmp_path)
    tables.encoding.cache_clear()
    tokens._encoding_for.cache_clear()
    try:
        with capture_logs() as logs:
            assert TiktokenCounter().count("a" * 40, model="gpt-4o") == estimate_tokens("a" * 40) == 10
        assert any(e["event"] == "tokens.estimating" and "SHA-256" in e["reason"] for e in logs)
    finally:
        tables.encoding.cache_clear()
        tokens._encoding_for.cache_clear()


class CountingWords:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def count(self, text: str, *, model: str) -> int:
        self.calls.append((text, model))
        return len(text.split()) + (1 if model == "big" else 0)


def test_a_repeated_text_is_counted_once_with_the_same_result():
    words = CountingWords()
    counter = RememberingTokenCounter(words, size=4)

    assert counter.count("how are you", model="small") == 3
    assert counter.count("how are you", model="small") == 3
    assert counter.count("how are you", model="big") == 4  # per model
    assert words.calls == [("how are you", "small"), ("how are you", "big")]


def test_only_the_newest_texts_are_remembered():
    words = CountingWords()
    counter = RememberingTokenCounter(words, size=2)
    for text in ("one", "two", "three", "one"):
        counter.count(text, model="m")
    assert [text for text, _ in words.calls] == ["one", "two", "three", "one"]
    counter.count("three", model="m")  # still remembered
    assert len(words.calls) == 4
