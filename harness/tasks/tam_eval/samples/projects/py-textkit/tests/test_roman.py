import pytest
from textkit.roman import from_roman, to_roman


def test_to_roman():
    assert to_roman(1) == "I"
    assert to_roman(4) == "IV"
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(3999) == "MMMCMXCIX"


def test_to_roman_rejects_out_of_range():
    for bad in (0, 4000, -1, 2.5):
        with pytest.raises(ValueError):
            to_roman(bad)


def test_from_roman():
    assert from_roman("XLII") == 42
    assert from_roman("MCMXCIV") == 1994


def test_from_roman_rejects_garbage():
    for bad in ("", "ABC", "IIII I"):
        with pytest.raises(ValueError):
            from_roman(bad)


def test_round_trip():
    for n in range(1, 200):
        assert from_roman(to_roman(n)) == n
