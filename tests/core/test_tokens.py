"""RememberingTokenCounter: the same counts as the counter it wraps, each text counted once."""

from __future__ import annotations

from core.tokens import RememberingTokenCounter


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
