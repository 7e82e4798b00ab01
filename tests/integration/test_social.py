"""The follow graph through the gateway."""
from __future__ import annotations

import asyncio


async def test_following_a_public_account_is_immediate(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    assert await world.follow(ada, bob) == "following"

    seen_by_ada = await world.profile(ada, bob.username)
    assert seen_by_ada["followers_count"] == 1
    assert seen_by_ada["relationship"] == {"following": True, "requested": False, "followed_by": False, "blocking": False, "muting": False}
    seen_by_bob = await world.profile(bob, ada.username)
    assert seen_by_bob["following_count"] == 1
    assert seen_by_bob["relationship"] == {"following": False, "requested": False, "followed_by": True, "blocking": False, "muting": False}
    own = await world.profile(ada, ada.username)
    assert "relationship" not in own


async def test_following_twice_changes_nothing(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(ada, bob)
    assert await world.follow(ada, bob) == "following"
    assert (await world.profile(ada, bob.username))["followers_count"] == 1


async def test_unfollow_removes_the_edge_and_is_idempotent(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    await world.follow(ada, bob)
    for _ in range(2):
        resp = await client.delete(f"/api/v1/users/{bob.username}/follow", headers=ada.auth)
        assert resp.status == 204
    profile = await world.profile(ada, bob.username)
    assert profile["followers_count"] == 0 and profile["relationship"]["following"] is False


async def test_following_yourself_is_refused(client, world):
    ada = await world.signup("ada")
    resp = await client.put(f"/api/v1/users/{ada.username}/follow", headers=ada.auth)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "cannot_follow_self"


async def test_following_an_unknown_user_is_404(client, world):
    ada = await world.signup("ada")
    for name in (world.name("ghost"), "no such name!"):
        resp = await client.put(f"/api/v1/users/{name}/follow", headers=ada.auth)
        assert resp.status == 404
    assert (await client.get(f"/api/v1/users/{world.name('ghost')}", headers=ada.auth)).status == 404


async def test_a_private_account_approves_its_followers(client, world):
    ada, carol = await world.signup("ada"), await world.signup("carol", private=True)
    assert await world.follow(ada, carol) == "requested"
    assert (await world.profile(ada, carol.username))["relationship"]["requested"] is True
    assert (await world.profile(ada, carol.username))["followers_count"] == 0

    pending = await world.all_pages("/api/v1/me/follow-requests", carol)
    assert [u["username"] for u in pending] == [ada.username]

    resp = await client.post(f"/api/v1/me/follow-requests/{ada.username}/accept", headers=carol.auth)
    assert resp.status == 204
    profile = await world.profile(ada, carol.username)
    assert profile["relationship"] == {"following": True, "requested": False, "followed_by": False, "blocking": False, "muting": False}
    assert profile["followers_count"] == 1
    assert await world.all_pages("/api/v1/me/follow-requests", carol) == []


async def test_a_rejected_request_leaves_no_edge(client, world):
    ada, carol = await world.signup("ada"), await world.signup("carol", private=True)
    await world.follow(ada, carol)
    resp = await client.post(f"/api/v1/me/follow-requests/{ada.username}/reject", headers=carol.auth)
    assert resp.status == 204
    rel = (await world.profile(ada, carol.username))["relationship"]
    assert rel == {"following": False, "requested": False, "followed_by": False, "blocking": False, "muting": False}
    again = await client.post(f"/api/v1/me/follow-requests/{ada.username}/accept", headers=carol.auth)
    assert again.status == 404


async def test_a_request_can_be_withdrawn(client, world):
    ada, carol = await world.signup("ada"), await world.signup("carol", private=True)
    await world.follow(ada, carol)
    assert (await client.delete(f"/api/v1/users/{carol.username}/follow", headers=ada.auth)).status == 204
    assert await world.all_pages("/api/v1/me/follow-requests", carol) == []


async def test_going_public_approves_pending_requests(client, world):
    ada, carol = await world.signup("ada"), await world.signup("carol", private=True)
    await world.follow(ada, carol)
    resp = await client.patch("/api/v1/me", json={"private": False}, headers=carol.auth)
    assert (await resp.json())["followers_count"] == 1
    assert (await world.profile(ada, carol.username))["relationship"]["following"] is True


async def test_a_private_accounts_connections_are_for_its_followers_only(client, world):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol", private=True)
    resp = await client.get(f"/api/v1/users/{carol.username}/followers", headers=bob.auth)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "private_account"
    await world.follow(ada, carol)
    await client.post(f"/api/v1/me/follow-requests/{ada.username}/accept", headers=carol.auth)
    assert (await client.get(f"/api/v1/users/{carol.username}/followers", headers=ada.auth)).status == 200
    assert (await client.get(f"/api/v1/users/{carol.username}/following", headers=carol.auth)).status == 200


async def test_counts_stay_exact_when_fifty_accounts_follow_at_once(client, world):
    star = await world.signup("star")
    fans = await asyncio.gather(*(world.signup(f"fan{i}") for i in range(50)))
    # Each fan also fires a duplicate follow in parallel: duplicates must not count twice.
    states = await asyncio.gather(*(world.follow(f, star) for f in fans + fans))
    assert set(states) == {"following"}
    assert (await world.profile(star, star.username))["followers_count"] == 50
    await asyncio.gather(*(client.delete(f"/api/v1/users/{star.username}/follow", headers=f.auth) for f in fans[:20]))
    assert (await world.profile(star, star.username))["followers_count"] == 30


async def test_paging_followers_has_no_repeats_or_gaps(client, world):
    star = await world.signup("star")
    fans = [await world.signup(f"f{i}") for i in range(23)]
    for fan in fans:
        await world.follow(fan, star)
    listed = await world.all_pages(f"/api/v1/users/{star.username}/followers", star, limit=5)
    names = [u["username"] for u in listed]
    assert names == [f.username for f in reversed(fans)], "newest follower first, each exactly once"
    assert listed[0]["relationship"]["followed_by"] is True

    following = await world.all_pages(f"/api/v1/users/{fans[0].username}/following", star, limit=2)
    assert [u["username"] for u in following] == [star.username]


async def test_bad_list_parameters_get_clear_errors(client, world):
    ada = await world.signup("ada")
    path = f"/api/v1/users/{ada.username}/followers"
    assert (await client.get(path, params={"limit": "0"}, headers=ada.auth)).status == 422
    assert (await client.get(path, params={"limit": "101"}, headers=ada.auth)).status == 422
    resp = await client.get(path, params={"cursor": "garbage!!"}, headers=ada.auth)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_cursor"
