"""Mastodon streams (pure): which stream carries which event, which kinds it takes from the hub,
and how the end is written."""
from __future__ import annotations

from gateway.mastodon import stream_events as se
from core import live_protocol as protocol


def test_user_notification_carries_notifications_only():
    assert se.carries(se.USER, "update") and se.carries(se.USER, "notification") and se.carries(se.USER, "delete")
    assert se.carries(se.USER_NOTIFICATION, "notification")
    assert not se.carries(se.USER_NOTIFICATION, "update") and not se.carries(se.USER_NOTIFICATION, "delete")


def test_a_stream_takes_from_the_hub_only_the_kinds_it_carries():
    assert se.kinds([se.USER_NOTIFICATION]) == {protocol.NOTIFICATION}
    assert se.kinds([se.USER]) == se.kinds([se.USER, se.USER_NOTIFICATION]) == {
        protocol.FEED_POST, protocol.FEED_UPDATE, protocol.FEED_DELETE, protocol.NOTIFICATION}
    assert se.kinds([]) == frozenset()      # post.failed and unknown kinds: no Mastodon event


def test_the_sse_resync_moves_last_event_id_before_the_oldest_kept_event():
    text = se.sse_resync(10, 15)
    assert text.startswith(":resync: events after 10 are gone") and text.endswith("\nid: 14\n\n")
    assert "data:" not in text          # nothing dispatched to the app, only the id moves
    assert se.sse_error("x") == 'event: error\ndata: {"error": "x"}\n\n'


def test_an_edited_post_is_mastodons_status_update():
    frame = '{"id": "7", "type": "feed.update", "data": {"id": "42", "caption": "new"}}'
    event_id, name, payload = se.translate(frame)
    assert (event_id, name) == (7, "status.update") and '"caption":"new"' in payload
    assert se.carries(se.USER, name) and not se.carries(se.USER_NOTIFICATION, name)
