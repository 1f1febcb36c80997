from __future__ import annotations

import pytest

from core.text_split import split_markdown


def test_short_text_is_one_piece():
    assert split_markdown("hello", limit=2000) == ["hello"]


def test_every_piece_fits_and_nothing_is_lost():
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(40))
    pieces = split_markdown(text, limit=2000)
    assert len(pieces) > 1 and all(len(p) <= 2000 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_a_cut_code_block_is_closed_and_reopened_with_its_language():
    code = "\n".join(f"print({i})  # line {i}" for i in range(300))
    text = "Here is the code:\n```python\n" + code + "\n```\nDone."
    pieces = split_markdown(text, limit=2000)
    assert len(pieces) > 2
    for piece in pieces:
        assert piece.count("```") % 2 == 0, piece[:80]
        assert len(piece) <= 2000
    for piece in pieces[1:-1]:
        assert piece.startswith("```python\n")
    body = [line for p in pieces for line in p.split("\n") if line.startswith("print(")]
    assert body == code.split("\n")


def test_a_line_without_spaces_is_cut_hard():
    pieces = split_markdown("x" * 5000, limit=2000)
    assert all(len(p) <= 2000 for p in pieces) and "".join(pieces) == "x" * 5000


def test_a_tiny_limit_is_refused():
    with pytest.raises(ValueError):
        split_markdown("abc", limit=5)
