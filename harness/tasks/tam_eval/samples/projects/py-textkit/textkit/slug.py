"""URL slugs from titles."""

import re
import unicodedata


def slugify(text, separator="-", max_length=None):
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", normalized.lower())
    slug = separator.join(words)
    if max_length is not None and len(slug) > max_length:
        slug = slug[:max_length].rstrip(separator)
    return slug


def is_slug(text, separator="-"):
    if not text:
        return False
    return slugify(text, separator) == text
