"""Turning a page of feed entries into posts: batched, cached in Redis, viewer-aware.

Post bodies (what every viewer sees) come from one Redis MGET; misses are fetched from Neo4j in
one query and cached for ``POST_BODY_TTL_S``. Writers that change a body (delete; like and
comment counts) delete its key. What depends on the viewer is answered without touching the
bodies: ``liked_by_me`` from the viewer's liked set, and, for posts of private accounts other
than the viewer's own, whether the viewer still follows them (one graph query, only when such
posts are on the page).
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from neo4j import AsyncDriver
from redis.asyncio import Redis

from core import redis_keys
from graph import posts

from .keys import NEO4J, REDIS

POST_BODY_TTL_S = 600


async def hydrate(app: web.Application, post_ids: list[int], viewer: int, *,
                  live_privacy: bool = False) -> list[dict[str, Any]]:
    """``live_privacy``: decide who is private from the graph now rather than from cached bodies
    (for lists built from a source that may lag behind a privacy change, i.e. search)."""
    if not post_ids:
        return []
    redis, driver = app[REDIS], app[NEO4J]
    bodies = await post_bodies(redis, driver, post_ids)
    present = [i for i in post_ids if i in bodies]
    # Whose posts might be hidden: every other author (live), or those the cached bodies call private.
    suspects = {bodies[i]["author"]["id"] for i in present
                if live_privacy or bodies[i]["author"].get("private")} - {viewer}
    hidden = await posts.hidden_among(driver, viewer, sorted(suspects)) if suspects else set()
    liked = await redis.smismember(redis_keys.liked_posts(viewer), [str(i) for i in present]) if present else []
    out = []
    for post_id, is_liked in zip(present, liked):
        body = dict(bodies[post_id])
        if body["author"]["id"] in hidden:
            continue
        body["liked_by_me"] = bool(is_liked)
        out.append(body)
    return out


async def post_bodies(redis: Redis, driver: AsyncDriver, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The bodies of the posts that exist: one MGET, misses from Neo4j in one query (then cached)."""
    cached = await redis.mget([redis_keys.post_body(i) for i in post_ids])
    bodies: dict[int, dict[str, Any]] = {}
    missing = []
    for post_id, raw in zip(post_ids, cached):
        if raw is None:
            missing.append(post_id)
        else:
            bodies[post_id] = json.loads(raw)
    if missing:
        fetched = await posts.get_bodies(driver, missing)
        if fetched:
            async with redis.pipeline(transaction=False) as pipe:
                for post_id, body in fetched.items():
                    pipe.set(redis_keys.post_body(post_id), json.dumps(body), ex=POST_BODY_TTL_S)
                await pipe.execute()
        bodies.update(fetched)
    return bodies


async def forget(app: web.Application, post_id: int) -> None:
    await app[REDIS].delete(redis_keys.post_body(post_id))


async def forget_author(app: web.Application, author_id: int) -> None:
    """Drop the cached bodies of every post of an account whose privacy changed: a body still
    saying "public" (or "private") would show (or hide) the post wrongly until it expired."""
    post_ids = await posts.ids_by_authors(app[NEO4J], [author_id])
    for start in range(0, len(post_ids), 1000):
        await app[REDIS].delete(*(redis_keys.post_body(i) for i in post_ids[start:start + 1000]))
