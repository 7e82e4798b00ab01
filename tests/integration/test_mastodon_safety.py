"""Blocks, mutes, removing a follower, bookmarks and edits through Mastodon.py (from PyPI, never
patched) against the Mastodon-compatible API, over the same use cases as the v1 API."""
from __future__ import annotations

import asyncio
import io

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError

from tests import images

from .mastodon_world import mastodon_url  # noqa: F401  (fixture)
from .world import eventually

pytestmark = pytest.mark.integration


def _login(url: str, username: str, password: str) -> Mastodon:
    # An address of its own (the tests trust X-Forwarded-For), so app registrations and requests
    # of other tests on 127.0.0.1 never reach this one's limits.
    session = requests.Session()
    session.headers["X-Forwarded-For"] = f"mastodon-py-{username}"
    client_id, secret = Mastodon.create_app("raygram-safety", api_base_url=url, scopes=["read", "write", "follow"],
                                            session=session)
    api = Mastodon(client_id=client_id, client_secret=secret, api_base_url=url, session=session)
    api.log_in(username, password, allow_http=True, scopes=["read", "write", "follow"])
    return api


async def _post(api: Mastodon, text: str):
    media = await asyncio.to_thread(api.media_post, io.BytesIO(images.jpeg(16, 16)), "image/jpeg")
    return await asyncio.to_thread(api.status_post, text, media_ids=[media])


async def _home_ids(api: Mastodon) -> list:
    return [s.id for s in await asyncio.to_thread(api.timeline_home)]


async def test_mastodon_py_blocks_mutes_and_removes_followers(world, mastodon_url):
    ada_v1, bob_v1, carol_v1 = await world.signup("mbada"), await world.signup("mbbob"), await world.signup("mbcarol")
    ada, bob, carol = [await asyncio.to_thread(_login, mastodon_url, a.username, a.password)
                       for a in (ada_v1, bob_v1, carol_v1)]
    bob_id, carol_id, ada_id = int(bob_v1.id), int(carol_v1.id), int(ada_v1.id)
    assert (await asyncio.to_thread(ada.account_follow, bob_id)).following
    assert (await asyncio.to_thread(bob.account_follow, ada_id)).following
    await asyncio.to_thread(ada.account_follow, carol_id)
    first = await _post(bob, "before the block")
    assert first.id in await eventually(lambda: _home_ids(ada))

    # Block: follows end both ways, the relationship says so from both sides, the list has bob.
    rel = await asyncio.to_thread(ada.account_block, bob_id)
    assert rel.blocking and not rel.following and not rel.followed_by
    theirs = (await asyncio.to_thread(bob.account_relationships, ada_id))[0]
    assert theirs.blocked_by and not theirs.following
    assert [int(a.id) for a in await asyncio.to_thread(ada.blocks)] == [bob_id]
    assert first.id not in await _home_ids(ada)
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(bob.account, ada_id)
    with pytest.raises(MastodonNotFoundError):
        await asyncio.to_thread(bob.status, (await _post(ada, "not for bob")).id)
    after = await _post(bob, "after the block")
    marker = await _post(carol, "carol")
    home = await eventually(lambda: _until(ada, marker.id))
    assert after.id not in home and first.id not in home
    rel = await asyncio.to_thread(ada.account_unblock, bob_id)
    assert not rel.blocking and not rel.following
    assert await asyncio.to_thread(ada.blocks) == []

    # Mute: carol's posts leave ada's home; carol notices nothing; unmute brings them back.
    rel = await asyncio.to_thread(ada.account_mute, carol_id)
    assert rel.muting and rel.following
    assert [int(a.id) for a in await asyncio.to_thread(ada.mutes)] == [carol_id]
    assert marker.id not in await _home_ids(ada)
    theirs = (await asyncio.to_thread(carol.account_relationships, ada_id))[0]
    assert not theirs.muting and not theirs.blocked_by and theirs.followed_by
    rel = await asyncio.to_thread(ada.account_unmute, carol_id)
    assert not rel.muting
    assert await asyncio.to_thread(ada.mutes) == []
    assert marker.id in await _home_ids(ada)

    # Remove a follower: carol follows ada, ada removes her; carol may follow again.
    await asyncio.to_thread(carol.account_follow, ada_id)
    rel = await asyncio.to_thread(ada.account_remove_from_followers, carol_id)
    assert not rel.followed_by
    assert not (await asyncio.to_thread(carol.account_relationships, ada_id))[0].following


async def _until(api: Mastodon, status_id) -> list | None:
    home = await _home_ids(api)
    return home if status_id in home else None


async def test_mastodon_py_bookmarks(world, mastodon_url):
    ada_v1, bob_v1 = await world.signup("mkada"), await world.signup("mkbob")
    ada, bob = [await asyncio.to_thread(_login, mastodon_url, a.username, a.password) for a in (ada_v1, bob_v1)]
    first, second = await _post(bob, "one"), await _post(bob, "two")
    assert not (await asyncio.to_thread(ada.status, first.id)).bookmarked
    marked = await asyncio.to_thread(ada.status_bookmark, second.id)
    assert marked.bookmarked and marked.id == second.id
    assert (await asyncio.to_thread(ada.status_bookmark, first.id)).bookmarked
    assert (await asyncio.to_thread(ada.status, first.id)).bookmarked
    assert not (await asyncio.to_thread(bob.status, first.id)).bookmarked              # ada's own
    page = await asyncio.to_thread(ada.bookmarks, limit=1)
    assert [s.id for s in page] == [first.id]
    rest = await asyncio.to_thread(ada.fetch_next, page)
    assert [s.id for s in rest] == [second.id] and rest[0].bookmarked
    assert not (await asyncio.to_thread(ada.status_unbookmark, first.id)).bookmarked
    assert [s.id for s in await asyncio.to_thread(ada.bookmarks)] == [second.id]
    assert await asyncio.to_thread(bob.bookmarks) == []


async def test_mastodon_py_edits_a_status_and_reads_its_history(world, mastodon_url):
    ada_v1, bob_v1 = await world.signup("meada"), await world.signup("mebob")
    ada, bob = [await asyncio.to_thread(_login, mastodon_url, a.username, a.password) for a in (ada_v1, bob_v1)]
    status = await _post(ada, "first #draft")
    assert status.edited_at is None
    edited = await asyncio.to_thread(ada.status_update, status.id, "second #final")
    assert edited.id == status.id and edited.edited_at is not None
    assert "second" in edited.content and [t.name for t in edited.tags] == ["final"]
    assert len(edited.media_attachments) == 1                 # a caption edit keeps the photo
    await asyncio.to_thread(ada.status_update, status.id, "third")
    history = await asyncio.to_thread(bob.status_history, status.id)
    assert len(history) == 3
    assert [word in h.content for word, h in zip(("first", "second", "third"), history)] == [True, True, True]
    assert 'href' in history[0].content and "draft" in history[0].content     # the hashtag linked
    assert history[0].created_at == status.created_at and history[-1].created_at >= history[1].created_at
    assert all(h.account.id == status.account.id and len(h.media_attachments) == 1 for h in history)
    seen = await asyncio.to_thread(bob.status, status.id)
    assert "third" in seen.content and seen.edited_at is not None
    # Only the author edits (Mastodon answers 403 as well).
    with pytest.raises(Exception) as refused:
        await asyncio.to_thread(bob.status_update, status.id, "not mine")
    assert "403" in str(refused.value) or "Forbidden" in type(refused.value).__name__


async def test_mastodon_py_home_timeline_flags_are_each_viewers_own_and_changes_show_at_once(world, mastodon_url):
    """Statuses are built once per version and shared between viewers (gateway/mastodon/
    status_memo.py), pages read in one round trip when unchanged: favourited and bookmarked are
    each viewer's, and an edit, a like count and a display name show on the next read."""
    ada_v1, bob_v1, cy_v1 = await world.signup("mhada"), await world.signup("mhbob"), await world.signup("mhcy")
    ada, bob, cy = [await asyncio.to_thread(_login, mastodon_url, a.username, a.password)
                    for a in (ada_v1, bob_v1, cy_v1)]
    for reader in (bob, cy):
        await asyncio.to_thread(reader.account_follow, (await asyncio.to_thread(reader.account_lookup,
                                                                                ada_v1.username)).id)
    status = await _post(ada, "hello #home")

    async def seen(api: Mastodon):
        home = await eventually(lambda: _until(api, status.id))
        assert home is not None
        return next(s for s in await asyncio.to_thread(api.timeline_home) if s.id == status.id)

    for reader in (bob, cy, bob, cy):                          # twice each: the second is remembered
        mine = await seen(reader)
        assert (mine.favourited, mine.bookmarked, mine.favourites_count) == (False, False, 0)
    await asyncio.to_thread(bob.status_favourite, status.id)
    await asyncio.to_thread(cy.status_bookmark, status.id)
    for_bob, for_cy = await seen(bob), await seen(cy)
    assert (for_bob.favourited, for_bob.bookmarked, for_bob.favourites_count) == (True, False, 1)
    assert (for_cy.favourited, for_cy.bookmarked, for_cy.favourites_count) == (False, True, 1)
    await asyncio.to_thread(ada.status_update, status.id, "edited #home")
    await asyncio.to_thread(ada.account_update_credentials, display_name="Ada Renamed")
    for reader in (bob, cy):
        after = await seen(reader)
        assert "edited" in after.content and after.edited_at is not None
        assert after.account.display_name == "Ada Renamed"
    await asyncio.to_thread(ada.status_delete, status.id)
    for reader in (bob, cy):
        assert status.id not in await _home_ids(reader)
