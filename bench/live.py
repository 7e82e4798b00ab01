"""Live-stream benchmark.

    .venv/bin/python -m bench.live [--sockets 4000] [--events 10000]

Prints, in one run:
  1. time from ``POST /posts`` returning to ``feed.post`` on every connected follower's socket
     (p50/p99/max over followers) for 100 and 2,000 connected followers, and for an author above
     the celebrity threshold with 2,000 connected followers;
  2. how many concurrent sockets one gateway process holds with pings running, and its memory
     per socket (RSS growth / sockets);
  3. lost / duplicated / out-of-order counts over a 10,000-event run with random disconnects
     and resumes (target: all zero).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

import aiohttp
import redis.asyncio as aioredis

from core import live_protocol as protocol
from stores.event_log import EventLog
from actors.shards import connect, stop_named_actors
from core.config import load_settings
from core.ids import IdGenerator
from stores.sessions import SessionStore
from graph.driver import open_driver
from stack import manager
from stack.services import ensure_secrets
from tests import images

from stack.gateway_process import GatewayProcess

from .common import Result, run_auto_commit, session

IDS = IdGenerator(worker=1021)


async def make_accounts(driver, tag: str, n: int) -> list[int]:
    ids = [IDS.next_id() for _ in range(n)]
    await driver.execute_query(
        "UNWIND $rows AS row CREATE (:User {id: row.id, username: row.name, display_name: row.name, bio: '', "
        "private: false, created_at: timestamp(), password_hash: 'bench-no-login'})",
        rows=[{"id": i, "name": f"bench_live_{tag}_{k}"} for k, i in enumerate(ids)])
    return ids


async def make_follows(driver, followers: list[int], author: int) -> None:
    rows = [{"a": f, "id": IDS.next_id()} for f in followers]
    for start in range(0, len(rows), 5000):
        await driver.execute_query(
            "UNWIND $rows AS row MATCH (a:User {id: row.a}), (b:User {id: $author}) "
            "CREATE (a)-[:FOLLOWS {id: row.id, since: timestamp(), follower: row.a, followee: $author}]->(b)",
            rows=rows[start:start + 5000], author=author)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def post_to_sockets(gw: GatewayProcess, tokens: dict[int, str], author: int,
                          followers: list[int]) -> tuple[Result, float]:
    """Open a socket per follower, post as the author, and time each socket's feed.post from the
    moment the upload was sent (events can beat the 201: the fan-out runs inside the request for
    up to 3 s). Also returns the POST's own latency (ms)."""
    arrivals: dict[int, dict[str, float]] = {}
    async with session(limit=0) as http:
        sockets = []
        for start in range(0, len(followers), 200):
            batch = followers[start:start + 200]
            sockets += await asyncio.gather(*(http.ws_connect(f"{gw.url}/api/v1/stream?token={tokens[f]}",
                                                              heartbeat=None) for f in batch))

        async def listen(uid: int, ws) -> None:
            async for msg in ws:
                event = json.loads(msg.data)
                if event["type"] == "feed.post":
                    arrivals.setdefault(uid, {})[event["data"]["id"]] = time.perf_counter()

        listeners = [asyncio.create_task(listen(u, ws)) for u, ws in zip(followers, sockets)]
        form = aiohttp.FormData()
        form.add_field("media", images.jpeg(32, 32), filename="p.jpg", content_type="image/jpeg")
        t0 = time.perf_counter()
        async with http.post(f"{gw.url}/api/v1/posts", data=form,
                             headers={"Authorization": f"Bearer {tokens[author]}"}) as r:
            assert r.status == 201, await r.text()
            post_id = (await r.json())["id"]
        post_ms = (time.perf_counter() - t0) * 1000
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            if sum(post_id in arrivals.get(u, {}) for u in followers) == len(followers):
                break
            await asyncio.sleep(0.01)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    got = [arrivals[u][post_id] for u in followers if post_id in arrivals.get(u, {})]
    lat = [t - t0 for t in got]
    wall = (max(got) - t0) if got else 0.0
    return Result("", lat, wall, errors=len(followers) - len(got)), post_ms


async def socket_capacity(gw: GatewayProcess, token: str, count: int) -> tuple[int, float]:
    """Open ``count`` sockets (pings on) and report how many stayed open and KB per socket."""
    before = rss_kb(gw.proc.pid)
    async with session(limit=0) as http:
        sockets = []
        for start in range(0, count, 250):
            sockets += await asyncio.gather(*(http.ws_connect(f"{gw.url}/api/v1/stream?token={token}", heartbeat=10)
                                              for _ in range(min(250, count - start))), return_exceptions=True)
        alive = [ws for ws in sockets if not isinstance(ws, BaseException)]
        await asyncio.sleep(25)          # at least one server ping round (RAYGRAM_WS_HEARTBEAT_S=20)
        held = sum(1 for ws in alive if not ws.closed)
        after = rss_kb(gw.proc.pid)
        await asyncio.gather(*(ws.close() for ws in alive), return_exceptions=True)
    return held, (after - before) / max(1, held)


async def resume_run(gw: GatewayProcess, events: EventLog, user_id: int, token: str, total: int) -> dict:
    """Produce ``total`` events (about 1,000/s) while a client disconnects at random and resumes
    with last_event_id; count what it lost, saw twice or saw out of order."""
    rng = random.Random(5)
    received: list[int] = []
    produced: list[int] = []
    resyncs: list[dict] = []
    finished = asyncio.Event()
    listening = asyncio.Event()     # the first socket is open: events from now on count

    async def produce() -> None:
        for n in range(total):
            # Inline events: this run measures the transport, not rendering.
            produced.append(await events.append(user_id, protocol.inline("notification", {"n": n})))
            if n % 10 == 0:
                await asyncio.sleep(0.01)
        finished.set()

    def caught_up() -> bool:
        return finished.is_set() and bool(received) and received[-1] >= produced[-1]

    async def consume() -> None:
        last = None
        async with session(limit=0) as http:
            while not caught_up():
                url = f"{gw.url}/api/v1/stream?token={token}" + (f"&last_event_id={last}" if last else "")
                async with http.ws_connect(url) as ws:
                    listening.set()
                    budget = rng.randrange(50, 1500)      # disconnect after a random number of frames
                    # No receive timeouts: cancelling a pending receive can lose a frame in aiohttp.
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = json.loads(msg.data)
                        if event.get("type") == "resync":
                            resyncs.append(event["data"])
                        if event.get("type") != "notification":
                            continue
                        received.append(int(event["id"]))
                        last = event["id"]
                        budget -= 1
                        if budget <= 0 or caught_up():
                            break
                await asyncio.sleep(rng.random() * 0.05)

    base = int(await events.redis.get(f"rg:event-seq:{user_id}") or 0)
    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(listening.wait(), 30)
    t0 = time.perf_counter()
    await produce()
    await asyncio.wait_for(consumer, 120)
    expected = [i for i in produced if i > base]
    seen: set[int] = set()
    dup = 0
    for i in received:
        dup += i in seen
        seen.add(i)
    out_of_order = sum(1 for a, b in zip(received, received[1:]) if b <= a)
    lost = len(set(expected) - seen)
    return {"produced": len(expected), "received": len(received), "lost": lost, "duplicated": dup,
            "out_of_order": out_of_order, "resync_signals": len(resyncs),
            "seconds": round(time.perf_counter() - t0, 1)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=4000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()

    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    driver = open_driver(settings)
    redis = aioredis.from_url(settings.redis_url)
    store = SessionStore(redis, 3600)
    tag = os.urandom(3).hex()

    author_small, author_big, celebrity = await make_accounts(driver, f"{tag}a", 3)
    followers = await make_accounts(driver, f"{tag}f", 2000)
    await make_follows(driver, followers[:100], author_small)
    await make_follows(driver, followers, author_big)
    await make_follows(driver, followers, celebrity)
    tokens = {u: await store.issue(u) for u in [author_small, author_big, celebrity, *followers]}

    lines = []
    env = {"RAYGRAM_POSTS_PER_DAY": "100000", "RAYGRAM_POSTS_PER_MONTH": "100000",
           "RAYGRAM_RAY_NAMESPACE": f"raygram-bench-live-{tag}"}
    with GatewayProcess(settings, 8095, env) as gw:
        for label, author, fans in (("100 connected followers", author_small, followers[:100]),
                                    ("2,000 connected followers", author_big, followers)):
            r, post_ms = await post_to_sockets(gw, tokens, author, fans)
            lines.append(f"  {label:<42} p50 {r.pct(50):7.1f} ms  p99 {r.pct(99):7.1f} ms  "
                         f"all in {r.wall_s * 1000:7.1f} ms  missing {r.errors}  (POST itself {post_ms:.0f} ms)")
            print(lines[-1], flush=True)
        held, kb = await socket_capacity(gw, tokens[author_small], args.sockets)
    env_celeb = {**env, "RAYGRAM_FEED_CELEBRITY_THRESHOLD": "1000", "RAYGRAM_RAY_NAMESPACE": f"raygram-bench-live-c-{tag}"}
    with GatewayProcess(settings, 8096, env_celeb) as gw:
        r, post_ms = await post_to_sockets(gw, tokens, celebrity, followers)
        lines.append(f"  {'celebrity (pulled), 2,000 connected':<42} p50 {r.pct(50):7.1f} ms  p99 {r.pct(99):7.1f} ms  "
                     f"all in {r.wall_s * 1000:7.1f} ms  missing {r.errors}  (POST itself {post_ms:.0f} ms)")
        resume = await resume_run(gw, EventLog(redis, settings.event_log_min_events), followers[0],
                                  tokens[followers[0]], args.events)

    print("\nPOST /posts sent -> feed.post on every connected follower's socket, one gateway process:")
    print("\n".join(lines))
    print(f"\nsockets held by one gateway process with pings running: {held} of {args.sockets} opened, "
          f"{kb:.1f} KB RSS per socket")
    print(f"\n{args.events}-event run with random disconnects and resumes: {json.dumps(resume)}")

    connect(settings)
    for namespace in (env["RAYGRAM_RAY_NAMESPACE"], env_celeb["RAYGRAM_RAY_NAMESPACE"]):
        stop_named_actors(namespace)
    await run_auto_commit(driver, "MATCH (u:User) WHERE u.username STARTS WITH $p CALL (u) { DETACH DELETE u } "
                          "IN TRANSACTIONS OF 2000 ROWS", p=f"bench_live_{tag}")
    await redis.aclose()
    await driver.close()



if __name__ == "__main__":
    asyncio.run(main())
