"""Money amounts in integer cents (version 2: formatting takes a currency code; rounding is half-up)."""

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def to_cents(amount):
    text = str(amount).strip()
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    frac = (frac + "000")[:3]
    cents = int(whole or "0") * 100 + int(frac[:2])
    if int(frac[2]) >= 5:
        cents += 1
    return -cents if negative else cents


def format_cents(cents, currency="USD"):
    if currency not in SYMBOLS:
        raise KeyError(f"unknown currency {currency}")
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{SYMBOLS[currency]}{cents // 100:,}.{cents % 100:02d}"
