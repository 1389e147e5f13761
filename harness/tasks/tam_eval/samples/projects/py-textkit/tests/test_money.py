import pytest
from textkit.money import format_cents, to_cents


def test_to_cents_rounds_half_up():
    assert to_cents("1.005") == 101
    assert to_cents("2.004") == 200
    assert to_cents("3") == 300
    assert to_cents("-0.5") == -50


def test_format_cents_with_currency():
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-5, "EUR") == "-€0.05"
    assert format_cents(100, currency="GBP") == "£1.00"


def test_format_cents_unknown_currency():
    with pytest.raises(KeyError):
        format_cents(1, "JPY")
