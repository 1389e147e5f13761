import pytest
from textkit.wrap import fill, wrap


def test_wrap_greedy():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_wrap_splits_long_words():
    assert wrap("abcdefghij xy", 4) == ["abcd", "efgh", "ij", "xy"]


def test_wrap_rejects_bad_width():
    with pytest.raises(ValueError):
        wrap("text", 0)


def test_fill_joins_lines():
    assert fill("a b c", 3) == "a b\nc"
    assert fill("", 5) == ""
