"""Hashtags in captions: ``#word`` with Unicode letters, case-folded, deduplicated in order."""
from __future__ import annotations

import re

# A tag starts after a non-word character (or at the start) and runs over word characters; it
# must contain a letter, so "#1" is a number, not a tag.
_TAG = re.compile(r"(?<![\w#&])#(\w{1,100})")
MAX_HASHTAGS = 30


def parse_hashtags(caption: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _TAG.finditer(caption):
        tag = match.group(1).casefold()
        if any(ch.isalpha() for ch in tag) and tag not in seen:
            seen[tag] = None
    return list(seen)


def split_hashtags(text: str) -> tuple[str, list[str]]:
    """(the text without its hashtags, the hashtags as ``parse_hashtags`` finds them)."""
    # "#2024" is a number, not a tag: it stays in the text, where it is a word like any other.
    rest = _TAG.sub(lambda m: " " if any(ch.isalpha() for ch in m.group(1)) else m.group(0), text)
    return rest, parse_hashtags(text)
