"""Roman numerals."""

_VALUES = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]


def to_roman(number):
    if not isinstance(number, int) or number <= 0 or number >= 4000:
        raise ValueError("number must be an integer between 1 and 3999")
    out = []
    for value, symbol in _VALUES:
        while number >= value:
            out.append(symbol)
            number -= value
    return "".join(out)


def from_roman(text):
    total = 0
    index = 0
    for value, symbol in _VALUES:
        while text.startswith(symbol, index):
            total += value
            index += len(symbol)
    if index != len(text) or total == 0:
        raise ValueError(f"not a roman numeral: {text!r}")
    return total
