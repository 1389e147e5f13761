from textkit.stats import average_word_length, top_words, word_count, words


def test_words_lowercases_and_splits():
    assert words("Don't stop, BELIEVING") == ["don't", "stop", "believing"]


def test_word_count():
    assert word_count("a b  c") == 3
    assert word_count("") == 0


def test_top_words_orders_by_count_then_word():
    assert top_words("b a b c a b", n=2) == [("b", 3), ("a", 2)]
    assert top_words("x y", n=5) == [("x", 1), ("y", 1)]


def test_average_word_length():
    assert average_word_length("ab abcd") == 3.0
    assert average_word_length("...") == 0.0
