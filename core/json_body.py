"""Parsing JSON request bodies safely: bounded nesting, clean 400s.

Size is bounded by the reader (gateway/http.py) before a byte is parsed; nesting is bounded here,
by a linear scan before ``json.loads``, so that neither the decoder's recursion nor any later code
walking the value can be driven deep by a body like 100,000 ``[``.
"""
from __future__ import annotations

import json
import re
from typing import Any

from .errors import BadRequest

# No body of the contract nests deeper than 2; 32 leaves room for clients' extra fields.
MAX_DEPTH = 32

# The only bytes that change the nesting or string state; everything else is skipped by the
# regex engine in C, so the scan is linear and cheap even for a body at the size cap.
_SIGNIFICANT = re.compile(rb'[\[\]{}"\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """The deepest array/object nesting of ``raw`` (brackets inside strings do not count); the
    scan stops as soon as the depth passes ``limit``, returning that depth. Malformed JSON gets
    some depth too; ``json.loads`` refuses it afterwards."""
    depth = deepest = 0
    in_string = False
    escaped = -1                   # the position of a character escaped by a backslash
    for match in _SIGNIFICANT.finditer(raw):
        pos = match.start()
        if pos == escaped:
            continue
        byte = raw[pos]
        if in_string:
            if byte == _BACKSLASH:
                escaped = pos + 1
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in _CLOSE:
            depth -= 1
    return deepest


def parse(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """A request body as JSON (an empty body is ``None``), or 400 ``invalid_json``."""
    if nesting_depth(raw, max_depth) > max_depth:
        raise BadRequest(f"The body nests deeper than {max_depth} levels.", code="invalid_json")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The body must be valid JSON.", code="invalid_json") from None
