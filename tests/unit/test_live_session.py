"""The live session's pure parts: when a resume cannot be complete (a gap), and which events a
subscriber that names its kinds takes."""
from __future__ import annotations

from core import live_protocol as protocol
from live.hub import Subscriber
from live.session import resume_gap


def test_a_gap_is_a_first_logged_event_past_the_next_id():
    assert resume_gap(10, 11, lapsed=False) is None
    assert resume_gap(10, None, lapsed=False) is None          # nothing missed
    assert resume_gap(10, 15, lapsed=False) == (10, 15)


def test_a_reader_away_longer_than_the_live_window_always_resyncs():
    assert resume_gap(10, 11, lapsed=True) == (10, 11)
    assert resume_gap(10, None, lapsed=True) == (10, 11)       # resumes at the next id
    assert resume_gap(10, 15, lapsed=True) == (10, 15)


def test_the_kind_of_a_logged_payload():
    assert protocol.kind_of(protocol.encode(protocol.notification(3))) == protocol.NOTIFICATION
    assert protocol.kind_of(protocol.encode(protocol.feed_post(1, 2))) == protocol.FEED_POST
    for bad in ("", "not json", "[1]", '{"type": 7}', '{"type": ["x"]}'):
        assert protocol.kind_of(bad) == ""
    msg = protocol.parse_channel_message(f"7 12 {protocol.encode(protocol.feed_delete(5))}".encode())
    assert msg.kind == protocol.FEED_DELETE


def test_a_subscriber_takes_every_kind_or_only_those_it_named():
    every = Subscriber(7, queue_max=4)
    assert every.wants(protocol.FEED_POST) and every.wants("anything")
    notes = Subscriber(7, queue_max=4, kinds=frozenset({protocol.NOTIFICATION}))
    assert notes.wants(protocol.NOTIFICATION) and not notes.wants(protocol.FEED_POST) and not notes.wants("")
    notes.kinds = frozenset()
    assert not notes.wants(protocol.NOTIFICATION)
