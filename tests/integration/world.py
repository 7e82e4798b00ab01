"""A small world of accounts, built through the public API only."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from tests import images


@dataclass
class Account:
    username: str
    password: str
    token: str
    id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    def __init__(self, client, unique: str) -> None:
        self.client = client
        self.unique = unique

    def name(self, base: str) -> str:
        return f"{base}_{self.unique}"

    async def signup(self, base: str, *, private: bool = False, password: str = "correct horse") -> Account:
        username = self.name(base)
        resp = await self.client.post("/api/v1/accounts", json={"username": username, "password": password})
        assert resp.status == 201, await resp.text()
        body = await resp.json()
        account = Account(username, password, body["token"], body["user"]["id"])
        if private:
            resp = await self.client.patch("/api/v1/me", json={"private": True}, headers=account.auth)
            assert resp.status == 200, await resp.text()
        return account

    async def follow(self, who: Account, whom: Account) -> str:
        resp = await self.client.put(f"/api/v1/users/{whom.username}/follow", headers=who.auth)
        assert resp.status == 200, await resp.text()
        return (await resp.json())["state"]

    async def profile(self, viewer: Account, username: str) -> dict:
        resp = await self.client.get(f"/api/v1/users/{username}", headers=viewer.auth)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def all_pages(self, path: str, viewer: Account, limit: int = 20) -> list[dict]:
        items, cursor = [], None
        while True:
            params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
            resp = await self.client.get(path, params=params, headers=viewer.auth)
            assert resp.status == 200, await resp.text()
            page = await resp.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    async def upload(self, who: Account | None, files: list[bytes] | None = None, caption: str = "",
                     alts: list[str] | None = None, filename: str = "photo.jpg", content_type: str = "image/jpeg"):
        """POST /posts; returns the raw response (the caller checks the status)."""
        form = aiohttp.FormData(default_to_multipart=True)
        for data in (images.jpeg(),) if files is None else files:
            form.add_field("media", data, filename=filename, content_type=content_type)
        form.add_field("caption", caption)
        for alt in alts or []:
            form.add_field("alt", alt)
        return await self.client.post("/api/v1/posts", data=form, headers=who.auth if who else {})

    async def post(self, who: Account, files: list[bytes] | None = None, caption: str = "", **kw) -> dict:
        resp = await self.upload(who, files, caption, **kw)
        assert resp.status == 201, await resp.text()
        return await resp.json()

    async def get(self, viewer: Account, path: str, **params) -> dict:
        resp = await self.client.get(path, params=params, headers=viewer.auth)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def search_posts(self, viewer: Account, q: str, **params) -> list[dict]:
        return (await self.get(viewer, "/api/v1/search/posts", q=q, **params))["items"]


async def eventually(probe, *, timeout: float = 30.0, interval: float = 0.25):
    """Await ``probe()`` until it returns something truthy (indexing is asynchronous); the last
    value otherwise, for the caller's assertion to show."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value or loop.time() > deadline:
            return value
        await asyncio.sleep(interval)


async def fetch(url: str, **headers) -> tuple[int, bytes, dict]:
    """(status, body, headers) of a GET from outside any app (a media URL, as a browser or player)."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as resp:
            return resp.status, await resp.read(), dict(resp.headers)
