"""Mastodon statuses built once per version and URL window, the viewer's flags set per request
(gateway/mastodon/status_memo.py): the same bytes as building afresh, and never stale."""
import orjson

from gateway.mastodon import entities
from gateway.mastodon.status_memo import StatusMemo
from gateway.media_urls import MediaUrls
from media.signed_urls import MediaUrlSigner

BASE = "http://masto.test"


def urls(now: list[float]) -> MediaUrls:
    return MediaUrls(MediaUrlSigner(endpoint="http://127.0.0.1:9000", bucket="media", access_key="a",
                                    secret_key="s", region="us-east-1", window_s=600, clock=lambda: now[0]))


def memo(now: list[float], calls: list | None = None) -> StatusMemo:
    rendered = urls(now)

    def render(post):
        if calls is not None:
            calls.append(post["id"])
        return rendered.render_one(post)
    return StatusMemo(rendered.signer.window, render)


def user(**changes) -> dict:
    return {"id": 2, "username": "ada", "display_name": "Ada", "bio": "", "private": False,
            "created_at": 1_700_000_000_000, "avatar": None, "followers_count": 3, "following_count": 4,
            "posts_count": 5, **changes}


def post(post_id: int = 1, *, medium: dict | None = None, **changes) -> dict:
    m = {"id": 5, "type": None, "width": 8, "height": 8, "content_type": "image/jpeg", "alt": "",
         "keys": ["t", "s", "m", "o"], **(medium or {})}
    return {"id": post_id, "author": {"id": 2, "username": "ada"}, "caption": "hi #cats", "hashtags": ["cats"],
            "created_at": 1_700_000_000_000, "edited_at": None, "like_count": 1, "comment_count": 0,
            "media": [m], **changes}


def fresh(p: dict, u: dict, now: list[float], bookmarked: bool = False) -> dict:
    """What the presenter built before the memo: a status from scratch."""
    return entities.status(urls(now).render_one(p), entities.account(u, BASE), BASE, bookmarked=bookmarked)


def test_a_remembered_status_encodes_to_the_same_bytes_as_a_fresh_one():
    now = [1000.0]
    m = memo(now)
    for _ in range(2):
        for liked in (False, True):
            for saved in (False, True):
                got = m.statuses([post(liked_by_me=liked)], {2: user()}, BASE, {1} if saved else set())[0]
                assert orjson.dumps(got) == orjson.dumps(fresh(post(liked_by_me=liked), user(), now, saved))


def test_each_viewer_gets_their_own_flags_from_one_entry():
    now, calls = [1000.0], []
    m = memo(now, calls)
    mine = m.statuses([post(liked_by_me=True)], {2: user()}, BASE, {1})[0]
    theirs = m.statuses([post(liked_by_me=False)], {2: user()}, BASE, set())[0]
    assert (mine["favourited"], mine["bookmarked"]) == (True, True)
    assert (theirs["favourited"], theirs["bookmarked"]) == (False, False)
    assert calls == [1]            # built once


def test_an_edit_a_like_a_transcode_and_an_avatar_show_at_once():
    now = [1000.0]
    m = memo(now)
    m.statuses([post()], {2: user()}, BASE)
    changes = [
        (post(caption="edited #dogs", hashtags=["dogs"], edited_at=1_700_000_001_000), user()),
        (post(like_count=2, comment_count=1), user()),
        (post(medium={"alt": "a cat"}), user()),
        (post(medium={"type": "video", "keys": [], "rendition_keys": []}), user()),
        (post(medium={"type": "video", "rendition_keys": ["r"], "rendition_names": ["high"],
                      "rendition_widths": [8], "rendition_heights": [8], "duration_s": 2.0}), user()),
        (post(), user(avatar="avatars/9/small.jpg", display_name="Ada L.")),
        (post(), user(private=True)),
        (post(), user(followers_count=9)),
    ]
    for p, u in changes:
        assert m.statuses([p], {2: u}, BASE) == [fresh(p, u, now)]


def test_a_new_url_window_builds_anew_and_another_base_is_its_own():
    now, calls = [1000.0], []
    m = memo(now, calls)
    before = m.statuses([post()], {2: user()}, BASE)[0]
    now[0] += 600
    after = m.statuses([post()], {2: user()}, BASE)[0]
    assert after["media_attachments"][0]["url"] != before["media_attachments"][0]["url"]
    other = m.statuses([post()], {2: user()}, "https://other.test")[0]
    assert other["url"].startswith("https://other.test/") and calls == [1, 1, 1]


def test_a_post_whose_author_is_gone_is_left_out_and_shared_entries_stay_unchanged():
    now = [1000.0]
    m = memo(now)
    assert m.statuses([post(1), post(2, author={"id": 7, "username": "gone"})], {2: user()}, BASE)[0]["id"] == "1"
    first = m.statuses([post(liked_by_me=True)], {2: user()}, BASE, {1})[0]
    first["content"] = "mutated by a caller"
    again = m.statuses([post()], {2: user()}, BASE)[0]
    assert again["favourited"] is False and again["bookmarked"] is False and again["content"] != "mutated by a caller"


def test_an_encoded_page_is_the_same_bytes_as_encoding_the_statuses():
    from gateway.mastodon.status_memo import json_list
    now = [1000.0]
    m = memo(now)
    posts = [post(1, liked_by_me=True), post(2), post(3, author={"id": 7, "username": "gone"}), post(4)]
    for _ in range(2):                                       # built, then remembered
        for saved in (set(), {2}, {1, 4}):
            encoded = m.encoded(posts, {2: user()}, BASE, saved)
            assert [i for i, _ in encoded] == ["1", "2", "4"]
            assert json_list(encoded) == orjson.dumps(m.statuses(posts, {2: user()}, BASE, saved))
    assert json_list([]) == b"[]"
