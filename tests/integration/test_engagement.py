"""Likes, comments and notifications through the gateway."""
from __future__ import annotations

import asyncio

from tests import images

TINY = images.jpeg(16, 16)


async def notifications(world, who) -> list[dict]:
    return await world.all_pages("/api/v1/notifications", who)


async def test_likes_are_idempotent_and_counted(client, world):
    ada, bob = await world.signup("ada"), await world.signup("bob")
    post = await world.post(ada, [TINY])
    url = f"/api/v1/posts/{post['id']}/like"
    for _ in range(2):
        resp = await client.put(url, headers=bob.auth)
        assert resp.status == 200
        assert await resp.json() == {"liked": True, "like_count": 1}
    seen = await (await client.get(f"/api/v1/posts/{post['id']}", headers=bob.auth)).json()
    assert seen["like_count"] == 1 and seen["liked_by_me"] is True
    likers = await world.all_pages(f"/api/v1/posts/{post['id']}/likes", ada)
    assert [u["username"] for u in likers] == [bob.username]
    for _ in range(2):
        resp = await client.delete(url, headers=bob.auth)
        assert await resp.json() == {"liked": False, "like_count": 0}


async def test_a_hundred_likes_at_once_count_a_hundred(client, world):
    ada = await world.signup("ada")
    post = await world.post(ada, [TINY])
    fans = await asyncio.gather(*(world.signup(f"f{i}") for i in range(100)))
    responses = await asyncio.gather(*(client.put(f"/api/v1/posts/{post['id']}/like", headers=f.auth) for f in fans))
    assert {r.status for r in responses} == {200}
    seen = await (await client.get(f"/api/v1/posts/{post['id']}", headers=ada.auth)).json()
    assert seen["like_count"] == 100


async def test_nobody_acts_on_a_post_they_cannot_see(client, world):
    carol, bob = await world.signup("carol", private=True), await world.signup("bob")
    post = await world.post(carol, [TINY])
    assert (await client.put(f"/api/v1/posts/{post['id']}/like", headers=bob.auth)).status == 404
    resp = await client.post(f"/api/v1/posts/{post['id']}/comments", json={"text": "hi"}, headers=bob.auth)
    assert resp.status == 404
    assert (await client.get(f"/api/v1/posts/{post['id']}/comments", headers=bob.auth)).status == 404


async def test_comments_are_listed_oldest_first_and_deleted_by_the_right_people(client, world):
    ada, bob, eve = await world.signup("ada"), await world.signup("bob"), await world.signup("eve")
    post = await world.post(ada, [TINY])
    path = f"/api/v1/posts/{post['id']}/comments"
    made = []
    for who, text in ((bob, "first!"), (eve, "second 🎉"), (bob, "third")):
        resp = await client.post(path, json={"text": text}, headers=who.auth)
        assert resp.status == 201
        made.append(await resp.json())
    listed = await world.all_pages(path, ada, limit=2)
    assert [c["text"] for c in listed] == ["first!", "second 🎉", "third"]
    assert listed[0]["author"]["username"] == bob.username

    assert (await client.delete(f"{path}/{made[0]['id']}", headers=eve.auth)).status == 403
    assert (await client.delete(f"{path}/{made[0]['id']}", headers=bob.auth)).status == 204   # its author
    assert (await client.delete(f"{path}/{made[1]['id']}", headers=ada.auth)).status == 204   # post's author
    assert (await client.delete(f"{path}/{made[1]['id']}", headers=ada.auth)).status == 404
    seen = await (await client.get(f"/api/v1/posts/{post['id']}", headers=ada.auth)).json()
    assert seen["comment_count"] == 1


async def test_comment_text_is_validated(client, world):
    ada = await world.signup("ada")
    post = await world.post(ada, [TINY])
    path = f"/api/v1/posts/{post['id']}/comments"
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 2201}, {"text": 5}, {}):
        assert (await client.post(path, json=body, headers=ada.auth)).status == 422, body


async def test_each_kind_of_notification_is_made_once_and_never_for_oneself(client, world):
    ada, bob, carol = await world.signup("ada"), await world.signup("bob"), await world.signup("carol", private=True)
    post = await world.post(ada, [TINY])
    url = f"/api/v1/posts/{post['id']}/like"
    for method in ("put", "delete", "put"):                       # like-unlike-like
        await getattr(client, method)(url, headers=bob.auth)
    await client.put(url, headers=ada.auth)                       # own post: no notification
    await client.post(f"/api/v1/posts/{post['id']}/comments", json={"text": "nice"}, headers=bob.auth)
    await world.follow(bob, ada)
    await world.follow(ada, carol)
    await client.post(f"/api/v1/me/follow-requests/{ada.username}/accept", headers=carol.auth)

    kinds = [(n["type"], n["actor"]["username"]) for n in await notifications(world, ada)]
    assert kinds == [("follow_accept", carol.username), ("follow", bob.username),
                     ("comment", bob.username), ("like", bob.username)]
    assert [n["type"] for n in await notifications(world, carol)] == ["follow_request"]
    like = (await notifications(world, ada))[-1]
    assert like["post_id"] == post["id"] and like["read"] is False


async def test_marking_read_up_to_an_id(client, world):
    ada, bob, eve = await world.signup("ada"), await world.signup("bob"), await world.signup("eve")
    await world.follow(bob, ada)
    await world.follow(eve, ada)
    newest, older = await notifications(world, ada)
    resp = await client.post("/api/v1/notifications/read", json={"up_to": older["id"]}, headers=ada.auth)
    assert resp.status == 204
    assert [n["read"] for n in await notifications(world, ada)] == [False, True]
    assert (await client.post("/api/v1/notifications/read", json={"up_to": "x"}, headers=ada.auth)).status == 422
