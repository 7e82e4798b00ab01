"""Notification pages cached in a gateway (usecases/notify.py) take their actors as they are now."""
from usecases.notify import with_actors


def _row(nid: int, actor: int) -> dict:
    return {"id": nid, "type": "follow", "actor": {"id": actor, "username": f"old{actor}", "display_name": "Old",
                                                   "avatar": None}, "read": False}


def test_actors_are_taken_as_they_are_now_and_the_cached_rows_stay_untouched():
    rows = [_row(2, 10), _row(1, 11)]
    now = {10: {"id": 10, "username": "old10", "display_name": "New", "avatar": "avatars/5/thumb.jpg",
                "bio": "not shown", "followers_count": 3},
           11: {"id": 11, "username": "old11", "display_name": None, "avatar": None}}
    out = with_actors(rows, now)
    assert [r["actor"] for r in out] == [
        {"id": 10, "username": "old10", "display_name": "New", "avatar": "avatars/5/thumb.jpg"},
        {"id": 11, "username": "old11", "display_name": None, "avatar": None}]
    assert rows[0]["actor"]["display_name"] == "Old"          # the cached page is never written


def test_a_row_whose_actor_is_gone_is_left_out():
    assert [r["id"] for r in with_actors([_row(3, 10), _row(2, 12), _row(1, 10)], {10: {"id": 10, "username": "a"}})] \
        == [3, 1]
