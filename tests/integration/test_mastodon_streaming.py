"""Mastodon streaming: server-sent events resumed with Last-Event-ID lose nothing and repeat
nothing; the WebSocket delivers the same events; revoking the token ends the stream."""
from __future__ import annotations

import json

import aiohttp
import pytest

from .mastodon_http import SSE, password_token, register_app
from .mastodon_world import mastodon_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


async def _open(session: aiohttp.ClientSession, url: str, token: str, last: str | None = None) -> SSE:
    headers = {"Authorization": f"Bearer {token}", **({"Last-Event-ID": last} if last else {})}
    resp = await session.get(f"{url}/api/v1/streaming/user", headers=headers)
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    return SSE(resp)


async def test_sse_resume_with_last_event_id_loses_and_repeats_nothing(world, mastodon_url):
    reader = await world.signup("mdreader")
    authors = [await world.signup(f"mdauthor{i}") for i in range(3)]
    for author in authors:
        await world.follow(reader, author)
    mine = await world.post(reader, caption="mine")
    async with aiohttp.ClientSession() as session:
        token = await password_token(session, mastodon_url, reader.username, reader.password)
        stream = await _open(session, mastodon_url, token)
        # Live: two posts arrive as `update` events carrying Statuses.
        live = [await world.post(authors[0], caption="live 0"), await world.post(authors[1], caption="live 1")]
        got = [await stream.next(), await stream.next()]
        assert [e["event"] for e in got] == ["update", "update"]
        assert [SSE.payload(e)["id"] for e in got] == [p["id"] for p in live]
        last_id = got[-1]["id"]
        stream.response.close()                       # the client goes away mid-stream

        # While it is away: posts, likes of its post (notifications) and a deleted post.
        missed_posts = [await world.post(a, caption=f"missed {a.username}") for a in authors]
        for a in authors:
            resp = await world.client.put(f"/api/v1/posts/{mine['id']}/like", headers=a.auth)
            assert resp.status == 200
        resp = await world.client.delete(f"/api/v1/posts/{missed_posts[0]['id']}", headers=authors[0].auth)
        assert resp.status == 204

        resumed = await _open(session, mastodon_url, token, last=last_id)
        events = []
        while (event := await resumed.next(timeout=10)) is not None:
            events.append(event)
            if event["event"] == "delete":
                break
        resumed.response.close()

    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(ids) == len(set(ids)), ids          # in order, no duplicates
    assert all(i > int(last_id) for i in ids)                              # nothing already seen
    updates = [SSE.payload(e)["id"] for e in events if e["event"] == "update"]
    # The first missed post was deleted before the replay: it is not shown, its delete is.
    assert updates == [p["id"] for p in missed_posts[1:]]
    notes = [SSE.payload(e) for e in events if e["event"] == "notification"]
    assert sorted(n["account"]["username"] for n in notes) == sorted(a.username for a in authors)
    assert {n["type"] for n in notes} == {"favourite"} and {n["status"]["id"] for n in notes} == {mine["id"]}
    assert [e["data"] for e in events if e["event"] == "delete"] == [missed_posts[0]["id"]]


async def test_websocket_stream_and_revocation(world, mastodon_url):
    reader = await world.signup("mdwsreader")
    author = await world.signup("mdwsauthor")
    await world.follow(reader, author)
    async with aiohttp.ClientSession() as session:
        app = await register_app(session, mastodon_url)
        token = await password_token(session, mastodon_url, reader.username, reader.password, app=app)
        bearer = {"Authorization": f"Bearer {token}"}
        ws_url = mastodon_url.replace("http://", "ws://") + "/api/v1/streaming"
        async with session.ws_connect(ws_url, params={"stream": "user", "access_token": token}) as ws:
            post = await world.post(author, caption="over the socket")
            message = json.loads((await ws.receive(timeout=30)).data)
            assert message["event"] == "update" and message["stream"] == ["user"]
            assert json.loads(message["payload"])["id"] == post["id"]

        sse = await _open(session, mastodon_url, token)
        # Only the token's own client may revoke it: another app's revoke changes nothing.
        stranger = await register_app(session, mastodon_url)
        resp = await session.post(f"{mastodon_url}/oauth/revoke", data={
            "client_id": stranger["client_id"], "client_secret": stranger["client_secret"], "token": token})
        assert resp.status == 200
        assert (await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials", headers=bearer)).status == 200
        # Its own client's revoke ends the open stream at once and refuses the token from then on.
        resp = await session.post(f"{mastodon_url}/oauth/revoke", data={
            "client_id": app["client_id"], "client_secret": app["client_secret"], "token": token})
        assert resp.status == 200
        assert await sse.next(timeout=30) is None and sse.response.content.at_eof()
        resp = await session.get(f"{mastodon_url}/api/v1/accounts/verify_credentials", headers=bearer)
        assert resp.status == 401 and "error" in await resp.json()
