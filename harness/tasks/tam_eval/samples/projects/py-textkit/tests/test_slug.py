from textkit.slug import is_slug, slugify


def test_slugify_basic():
    assert slugify("Hello, World!") == "hello-world"


def test_slugify_accents_and_separator():
    assert slugify("Crème Brûlée", separator="_") == "creme_brulee"


def test_slugify_max_length_strips_separator():
    assert slugify("one two three", max_length=8) == "one-two"
    assert slugify("one two", max_length=100) == "one-two"


def test_is_slug():
    assert is_slug("hello-world")
    assert not is_slug("Hello World")
    assert not is_slug("")
