"""Hostile input stays bounded: ids, JSON nesting, sockets whose session ended."""
from __future__ import annotations

import json

import pytest

from core import json_body
from core.errors import BadRequest
from core.ids import MAX_ID, parse_id
from live.hub import Subscriber
from core.live_protocol import revocation


@pytest.mark.parametrize("raw,expected", [
    ("1", 1), ("0", 0), ("007", 7), (str(MAX_ID), MAX_ID), (42, 42), (MAX_ID, MAX_ID),
])
def test_ids_are_ascii_digits_within_int64(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", [
    "\u00b2",              # superscript two: str.isdigit() says yes, int() says no (the old 500)
    "\u0663",              # Arabic-Indic three: int() would quietly read 3
    "\uff11",              # fullwidth one
    "", " 1", "1 ", "+1", "-1", "1_000", "1.0", "0x10", "1e3",
    str(MAX_ID + 1), "9" * 19, "1" * 20, "9" * 5000,
    -1, MAX_ID + 1, True, False, 1.0, None, [], {},
])
def test_anything_else_is_not_an_id(raw):
    assert parse_id(raw) is None


def test_nesting_depth_counts_brackets_outside_strings_only():
    assert json_body.nesting_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_body.nesting_depth(b'{"a": "[[[[[[[[[[", "b": "\\"[[[["}') == 1
    assert json_body.nesting_depth(b'"\\\\" [[]]') == 2     # an escaped backslash ends before the quote
    assert json_body.nesting_depth(b"42") == 0


def test_a_deep_body_is_a_400_without_recursion():
    for raw in (b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        with pytest.raises(BadRequest) as info:
            json_body.parse(raw)
        assert info.value.code == "invalid_json"


def test_nesting_up_to_the_limit_parses():
    depth = json_body.MAX_DEPTH
    assert json_body.parse(b"[" * depth + b"]" * depth) is not None
    with pytest.raises(BadRequest):
        json_body.parse(b"[" * (depth + 1) + b"]" * (depth + 1))


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b'{"a": 1', b"1" * 5000, b"[1,]"])
def test_malformed_bodies_are_invalid_json(raw):
    with pytest.raises(BadRequest) as info:
        json_body.parse(raw)
    assert info.value.code == "invalid_json"


def test_empty_body_is_none_and_objects_parse():
    assert json_body.parse(b"") is None
    assert json_body.parse(b'{"username": "ada", "n": [1, 2]}') == {"username": "ada", "n": [1, 2]}


def test_pathological_strings_are_scanned_as_strings():
    # Many escaped quotes in an unterminated string (a backtracking string regex would be
    # quadratic here; the scan looks at each byte once), brackets inside count for nothing.
    assert json_body.nesting_depth(b'"' + b'\\"[' * 20_000) == 0
    assert json_body.nesting_depth(b"[" * 65_536) == json_body.MAX_DEPTH + 1    # stops early


def test_a_subscriber_whose_session_ended_takes_no_more_events():
    sub = Subscriber(7, queue_max=4, session="abc")
    sub.offer(1, json.dumps({"n": 1}))
    sub.end()
    sub.offer(2, json.dumps({"n": 2}))
    assert sub.queue.qsize() == 1 and sub.ended.is_set()


def test_a_revocation_names_the_account_and_the_session():
    assert revocation(7, "abc") == "7 revoked abc"
