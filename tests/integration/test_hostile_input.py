"""Hostile input through the gateway: every answer is a clean 4xx, never a 500."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from core import cursors


async def error_of(resp) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]


@pytest.mark.parametrize("raw_id", ["%C2%B2", "%D9%A3", "%EF%BC%91", "99999999999999999999", "9223372036854775808",
                                    "-1", "1e3", "%20"])
async def test_odd_path_ids_are_404(client, world, raw_id):
    ada = await world.signup("ada")
    for path in (f"/api/v1/posts/{raw_id}", f"/api/v1/posts/{raw_id}/comments", f"/api/v1/posts/{raw_id}/likes"):
        resp = await client.get(path, headers=ada.auth)
        assert await error_of(resp) == (404, "post_not_found"), path
    resp = await client.delete(f"/api/v1/posts/1/comments/{raw_id}", headers=ada.auth)
    assert resp.status == 404


async def test_odd_body_and_query_ids_are_4xx(client, world):
    ada = await world.signup("ada")
    for up_to in ("\u00b2", "\u0663", "9" * 30, -5, 1.5, True, None, [1], {"a": 1}):
        resp = await client.post("/api/v1/notifications/read", json={"up_to": up_to}, headers=ada.auth)
        assert await error_of(resp) == (422, "invalid_up_to"), up_to
    resp = await client.post("/api/v1/notifications/read", json={"up_to": 2**63 - 1}, headers=ada.auth)
    assert resp.status == 204
    for last in ("\u00b2", "9" * 30, "-1"):
        resp = await client.get("/api/v1/stream", params={"last_event_id": last},
                                headers={**ada.auth, "Upgrade": "websocket", "Connection": "Upgrade",
                                         "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        assert await error_of(resp) == (422, "invalid_last_event_id"), last


@pytest.mark.parametrize("limit", ["\u00b2", "\u0665", "1_0", " 5", "5.0", "9" * 5000, "-0"])
async def test_odd_limits_are_422(client, world, limit):
    ada = await world.signup("ada")
    for path in ("/api/v1/notifications", "/api/v1/feed", f"/api/v1/users/{ada.username}/followers"):
        resp = await client.get(path, params={"limit": limit}, headers=ada.auth)
        assert resp.status == 422, (path, limit)


async def test_hostile_cursors_are_400(client, world):
    ada = await world.signup("ada")
    hostile = ["\u00b2", "%%%", "x" * 600, cursors.encode(1), cursors.encode(1, 2**62, -1),
               cursors.encode(1, 2**62, 2**62), cursors.encode(7, 1, 1)]
    for cursor in hostile:
        resp = await client.get("/api/v1/feed", params={"cursor": cursor}, headers=ada.auth)
        assert resp.status == 400, cursor
    for cursor in (cursors.encode(0, -1, 0), cursors.encode(0, 2**63 - 1, 0)):      # recent, odd bounds
        resp = await client.get("/api/v1/feed", params={"cursor": cursor, "order": "recent"}, headers=ada.auth)
        assert resp.status == 200, cursor
    for path in ("/api/v1/notifications", "/api/v1/search/users?q=ad", "/api/v1/search/posts?q=hello",
                 "/api/v1/hashtags/cats/posts"):
        for cursor in ("\u00b2", "W10", cursors.encode(-(2**63)), cursors.encode(2**63 - 1, 2**63 - 1, 2**63 - 1)):
            resp = await client.get(path, params={"cursor": cursor}, headers=ada.auth)
            assert resp.status in (200, 400), (path, cursor, resp.status)


async def test_deeply_nested_json_is_400(client, world):
    resp = await client.post("/api/v1/accounts", data=b"[" * 60_000, headers={"Content-Type": "application/json"})
    assert await error_of(resp) == (400, "invalid_json")
    resp = await client.post("/api/v1/accounts", data=b"[" * 100_000, headers={"Content-Type": "application/json"})
    assert await error_of(resp) == (413, "payload_too_large"), "the finding's body: over the size cap"
    resp = await client.post("/api/v1/sessions", data=b'{"a":' * 40 + b"1" + b"}" * 40)
    assert await error_of(resp) == (400, "invalid_json")
    ada = await world.signup("ada")
    resp = await client.patch("/api/v1/me", data=b"[" * 60_000, headers=ada.auth)
    assert await error_of(resp) == (400, "invalid_json")


async def test_big_json_bodies_are_413_before_they_are_read(client, settings):
    cap = settings.json_max_bytes
    big = json.dumps({"username": "ada", "password": "x" * cap}).encode()
    resp = await client.post("/api/v1/accounts", data=big, headers={"Content-Type": "application/json"})
    assert await error_of(resp) == (413, "payload_too_large")

    async def chunked():                                  # no Content-Length: bounded while reading
        yield b'{"username": "ada", "password": "'
        for _ in range(64):
            yield b"x" * 16384
        yield b'"}'

    resp = await client.post("/api/v1/sessions", data=chunked(), headers={"Content-Type": "application/json"})
    assert await error_of(resp) == (413, "payload_too_large")


async def test_odd_body_types_are_422_or_400(client, world):
    ada = await world.signup("ada")
    for body in ({"display_name": 5}, {"bio": ["x"]}, {"private": "yes"}, {"display_name": None}):
        resp = await client.patch("/api/v1/me", json=body, headers=ada.auth)
        assert resp.status == 422, body
    for body in (b"null", b"[]", b'"text"', b"1"):
        resp = await client.patch("/api/v1/me", data=body, headers=ada.auth)
        assert resp.status == 400, body
    for body in ({"username": ["a"], "password": "x"}, {"username": "ada"}, {"password": "whatever1"}):
        resp = await client.post("/api/v1/sessions", json=body)
        assert resp.status == 422, body
    resp = await client.post("/api/v1/accounts", json={"username": world.name("dn"), "password": "long-enough",
                                                       "display_name": {"a": 1}})
    assert resp.status == 422


async def test_odd_tokens_are_401(client):
    for header in ("Bearer " + "x" * 5000, "Bearer \u00e9t\u00e9", "Bearer  ", "bearer"):
        resp = await client.get("/api/v1/me", headers={"Authorization": header})
        assert resp.status == 401, header


async def test_bytes_that_are_not_utf8_in_a_header_are_401(client):
    """Raw bytes on the wire: aiohttp decodes them with surrogates, which must not reach a hash."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\x80\r\n"
                 b"Connection: close\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert status_line.split()[1] == b"401"


async def test_a_socket_survives_deeply_nested_client_frames(client, world):
    ada = await world.signup("ada")
    async with client.ws_connect("/api/v1/stream", headers=ada.auth) as ws:
        await ws.send_str("[" * 60_000)
        await ws.send_str(json.dumps({"type": "ping"}))
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data) == {"type": "pong"}
