import json

import pytest

from core import live_protocol as protocol


def test_a_logged_event_is_a_reference_and_decodes_to_itself():
    for ref in (protocol.feed_post(2**62 + 5, 77), protocol.feed_delete(9), protocol.notification(2**63 - 1)):
        payload = protocol.encode(ref)
        assert "urls" not in payload and "caption" not in payload
        assert protocol.decode(payload) == ref


def test_ids_are_logged_as_strings_so_no_client_rounds_them():
    body = json.loads(protocol.encode(protocol.feed_post(2**62 + 1, 3)))
    assert body == {"type": "feed.post", "ref": {"post_id": str(2**62 + 1), "author_id": "3"}}


def test_an_event_logged_before_references_is_delivered_as_it_was():
    old = json.dumps({"type": "notification", "data": {"id": "1", "type": "like"}})
    ref = protocol.decode(old)
    assert (ref.kind, ref.data) == ("notification", {"id": "1", "type": "like"})
    assert protocol.decode(protocol.encode(protocol.inline("x", {"n": 1}))).data == {"n": 1}


def test_channel_messages_are_events_or_revocations():
    event = protocol.parse_channel_message(b'12 345 {"type":"feed.delete","ref":{"post_id":"9"}}')
    assert (event.user_id, event.event_id) == (12, 345)
    assert protocol.decode(event.payload) == protocol.feed_delete(9)
    revoked = protocol.parse_channel_message(protocol.revocation(12, "abc").encode())
    assert (revoked.user_id, revoked.event_id, revoked.payload) == (12, None, "abc")


@pytest.mark.parametrize("raw", [b"", b"12", b"x 1 {}", b"12 y {}"])
def test_a_malformed_channel_message_is_a_value_error(raw):
    with pytest.raises(ValueError):
        protocol.parse_channel_message(raw)


def test_frames_carry_id_type_and_data():
    assert json.loads(protocol.frame(5, "feed.delete", {"post_id": "9"})) == \
        {"id": "5", "type": "feed.delete", "data": {"post_id": "9"}}
    assert json.loads(protocol.resync_frame(3, 10)) == {"type": "resync", "data": {"missed_after": "3", "resumes_at": "10"}}


def test_an_eviction_names_the_stream_to_close():
    msg = protocol.parse_channel_message(protocol.eviction(12, "ab12").encode())
    assert (msg.user_id, msg.event_id, msg.payload, msg.control) == (12, None, "ab12", protocol.EVICTED)
    revoked = protocol.parse_channel_message(protocol.revocation(12, "d1g").encode())
    assert (revoked.event_id, revoked.control) == (None, protocol.REVOKED)
    assert protocol.TOO_MANY_STREAMS not in (protocol.SLOW_CONSUMER, protocol.SESSION_ENDED)


def test_a_caption_edit_is_logged_as_a_reference_like_a_new_post():
    ref = protocol.feed_update(42, 7)
    assert json.loads(protocol.encode(ref)) == {"type": "feed.update", "ref": {"post_id": "42", "author_id": "7"}}
    assert protocol.decode(protocol.encode(ref)) == ref
