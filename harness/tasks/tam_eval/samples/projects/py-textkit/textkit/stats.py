"""Word statistics."""

import re

_WORD = re.compile(r"[A-Za-z']+")


def words(text):
    return [w.lower() for w in _WORD.findall(text)]


def word_count(text):
    return len(words(text))


def top_words(text, n=3):
    counts = {}
    for w in words(text):
        counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]


def average_word_length(text):
    ws = words(text)
    if not ws:
        return 0.0
    return sum(len(w) for w in ws) / len(ws)
