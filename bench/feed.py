"""Feed benchmark: read latency per strategy, fan-out time, deliveries/s vs a Redis baseline.

    .venv/bin/python -m bench.feed [--posts-per-author 20] [--reads 300]

On the 100,000-user power-law graph of bench.social_graph (built if missing), in one run:
  1. ``GET /feed?order=recent`` p50/p99 through a gateway for each strategy (push, pull, hybrid;
     each with shard actors of its own) for a reader following 1,000 accounts;
  2. fan-out time of one post for authors with ~100, ~10,000 and ~100,000 followers, every
     follower's timeline materialised (the worst case), and its deliveries per second;
  3. the classic fan-out-on-write baseline: pipelined Redis ZADD into one sorted set per follower,
     same followers, same run.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import time

import redis.asyncio as aioredis

from feed.sharding import group_by_shard
from actors.shards import connect, ensure_shards, stop_named_actors
from core import redis_keys
from core.clock import now_ms
from core.config import load_settings
from core.ids import EPOCH_MS, TIMESTAMP_SHIFT
from stores.sessions import SessionStore
from graph.driver import open_driver
from graph.feed_queries import follower_pages
from stack import manager
from stack.services import ensure_secrets

from stack.gateway_process import GatewayProcess

from .common import closed_loop, fmt_ratio, session
from .social_graph import PREFIX, build_graph

BENCH_WORKER = 1022    # id bits of bench-made posts: never a gateway's


def post_id_at(ms: int, seq: int) -> int:
    return ((ms - EPOCH_MS) << TIMESTAMP_SHIFT) | (BENCH_WORKER << 12) | (seq & 0xFFF)


async def seed_posts(driver, redis, authors: list[int], per_author: int, threshold: int) -> int:
    """Posts spread over the last week for ``authors`` (once); celebrity posts also go to Redis."""
    records, _, _ = await driver.execute_query(
        "MATCH (m:BenchMarker {name: 'feed-posts-v2'}) RETURN m.per AS per")
    if records and records[0]["per"] == per_author:
        return 0
    rng = random.Random(3)
    now = now_ms()
    rows = []
    for a in authors:
        for k in range(per_author):
            ms = now - rng.randrange(7 * 24 * 3600 * 1000)
            rows.append({"id": post_id_at(ms, rng.randrange(4096)), "author": a, "at": ms})
    for start in range(0, len(rows), 10_000):
        await driver.execute_query(
            "UNWIND $rows AS row MATCH (u:User {id: row.author}) "
            "MERGE (p:Post {id: row.id}) ON CREATE SET p.author_id = row.author, p.caption = 'bench', "
            "p.hashtags = [], p.created_at = row.at MERGE (u)-[:POSTED]->(p)", rows=rows[start:start + 10_000])
    counts, _, _ = await driver.execute_query(
        "UNWIND $ids AS id MATCH (u:User {id: id}) RETURN id, COUNT { (u)<-[:FOLLOWS]-() } AS f", ids=authors)
    celebs = {r["id"] for r in counts if r["f"] > threshold}
    async with redis.pipeline(transaction=False) as pipe:
        for row in rows:
            if row["author"] in celebs:
                pipe.zadd(redis_keys.celebrity_posts(row["author"]), {str(row["id"]): row["id"]})
        await pipe.execute()
    await driver.execute_query("MERGE (m:BenchMarker {name: 'feed-posts-v2'}) SET m.per = $per", per=per_author)
    return len(rows)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--posts-per-author", type=int, default=20)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    driver = open_driver(settings)
    redis = aioredis.from_url(settings.redis_url)
    await build_graph(driver, args.users)

    # The reader: the account following the most others, topped up to exactly 1,000 followees
    # drawn from the 20,000 most-followed accounts (celebrities included, as in real life).
    records, _, _ = await driver.execute_query(
        "MATCH (u:User) WHERE u.username STARTS WITH $p WITH u, COUNT { (u)-[:FOLLOWS]->() } AS n "
        "ORDER BY n DESC LIMIT 1 RETURN u.id AS id, n", p=PREFIX)
    reader, following = records[0]["id"], records[0]["n"]
    if following < 1000:
        rng = random.Random(11)
        extra = [f"{PREFIX}{i}" for i in rng.sample(range(20_000), 1500)]
        await driver.execute_query(
            """MATCH (v:User {id: $reader}) UNWIND $names AS name MATCH (a:User {username: name})
               WHERE a <> v AND NOT EXISTS { (v)-[:FOLLOWS]->(a) }
               WITH v, a LIMIT $missing
               CREATE (v)-[:FOLLOWS {id: $base + a.id % 1000000, since: timestamp(), follower: v.id, followee: a.id}]->(a)""",
            reader=reader, names=extra, missing=1000 - following, base=post_id_at(now_ms(), 0))
        records, _, _ = await driver.execute_query(
            "MATCH (u:User {id: $id}) RETURN COUNT { (u)-[:FOLLOWS]->() } AS n", id=reader)
        following = records[0]["n"]
    records, _, _ = await driver.execute_query(
        "MATCH (:User {id: $id})-[:FOLLOWS]->(a) RETURN collect(a.id) AS ids", id=reader)
    followees = records[0]["ids"]
    seeded = await seed_posts(driver, redis, followees, args.posts_per_author, settings.feed_celebrity_threshold)
    print(f"reader follows {following} accounts; {len(followees) * args.posts_per_author} posts by them"
          + (f" (seeded {seeded} now)" if seeded else ""))
    token = await SessionStore(redis, 3600).issue(reader)

    # 1. Reads per strategy, each strategy with its own shard actors (own Ray namespace).
    # Shard actors of earlier benchmark runs may run older code: stop them first.
    connect(settings)
    fanout_namespace = "raygram-bench-fanout"
    for namespace in ("raygram-bench-push", "raygram-bench-hybrid", fanout_namespace):
        stop_named_actors(namespace)
    reads = {}
    port = 8092
    for strategy in ("pull", "push", "hybrid"):
        env = {"RAYGRAM_FEED_STRATEGY": strategy, "RAYGRAM_RAY_NAMESPACE": f"raygram-bench-{strategy}"}
        with GatewayProcess(settings, port, env) as gw:
            async with session(base_url=gw.url, headers={"Authorization": f"Bearer {token}"}) as http:
                t0 = time.perf_counter()
                async with http.get("/api/v1/feed", params={"order": "recent"}) as r:
                    if r.status != 200:
                        raise RuntimeError(f"{strategy}: {r.status} {await r.text()} (see {gw.log_path})")
                    first = len((await r.json())["items"])
                cold_ms = (time.perf_counter() - t0) * 1000

                async def read(i: int) -> None:
                    async with http.get("/api/v1/feed", params={"order": "recent"}) as r:
                        assert r.status == 200
                        await r.read()

                result = await closed_loop(f"feed read, {strategy}", read, concurrency=args.concurrency,
                                           total=args.reads)
                reads[strategy] = (result, cold_ms, first)
        port += 1

    # 2. Fan-out through the push-strategy shards, every follower materialised; 3. Redis baseline.
    connect(settings)
    bench_settings = dataclasses.replace(settings, ray_namespace=fanout_namespace, feed_strategy="push")
    shards = ensure_shards(bench_settings, settings.feed_shards)
    records, _, _ = await driver.execute_query(
        "MATCH (u:User) WHERE u.username STARTS WITH $p WITH u, COUNT { (u)<-[:FOLLOWS]-() } AS f "
        "WITH u, f, abs(f - 100) AS d100, abs(f - 10000) AS d10k ORDER BY f DESC "
        "RETURN collect([u.id, f]) AS all", p=PREFIX)
    by_followers = records[0]["all"]
    pick = {
        "~100": min(by_followers, key=lambda x: abs(x[1] - 100)),
        "~10,000": min(by_followers, key=lambda x: abs(x[1] - 10_000)),
        "~100,000": by_followers[0],
    }
    fanouts = []
    # Warm-up: the actors' first fan-out opens their Neo4j and Redis clients and finds their peers.
    await shards[0].fan_out.remote(post_id_at(now_ms(), 1), pick["~100"][0])
    for label, (author, n_followers) in pick.items():
        followers = []
        async for page in follower_pages(driver, author, settings.feed_fanout_page):
            followers += page
        groups = group_by_shard(followers, settings.feed_shards)
        await asyncio.gather(*(shards[s].adopt.remote({u: {"entries": [], "celebrities": [], "last_read_ms": now_ms()}
                                                       for u in users}) for s, users in groups.items()))
        post_id = post_id_at(now_ms(), random.randrange(4096))
        t0 = time.perf_counter()
        delivered = await shards[0].fan_out.remote(post_id, author)
        fan_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        for start in range(0, len(followers), 5000):
            async with redis.pipeline(transaction=False) as pipe:
                for uid in followers[start:start + 5000]:
                    key = f"rg:bench-timeline:{uid}"
                    pipe.zadd(key, {str(post_id): post_id})
                    pipe.zremrangebyrank(key, 0, -801)
                await pipe.execute()
        redis_s = time.perf_counter() - t0
        fanouts.append((label, n_followers, delivered, fan_s, redis_s))
    for namespace in (fanout_namespace, "raygram-bench-push", "raygram-bench-hybrid"):
        stop_named_actors(namespace)
    await redis.aclose()
    await driver.close()

    print(f"\nfeed reads through the gateway, reader following {following}, {args.concurrency} concurrent, "
          f"limit 20 (order=recent)")
    for strategy, (result, cold_ms, first) in reads.items():
        print(f"  {result.line()}  (first read {cold_ms:.0f} ms, {first} items)")
    pull99, hybrid99 = reads["pull"][0].pct(99), reads["hybrid"][0].pct(99)
    print(f"  hybrid p99 {hybrid99:.1f} ms (target < 50 ms); pull / hybrid p99 = {fmt_ratio(pull99, hybrid99)} "
          f"(target >= 10x); pull / hybrid p50 = {fmt_ratio(reads['pull'][0].pct(50), reads['hybrid'][0].pct(50))}")
    print("\nfan-out of one post, every follower's timeline materialised "
          f"({settings.feed_shards} shard actors), vs pipelined Redis ZADD per follower:")
    for label, n, delivered, fan_s, redis_s in fanouts:
        print(f"  {label:>9} ({n:>6} followers): actors {fan_s * 1000:8.1f} ms = {delivered / fan_s:>9.0f} deliveries/s"
              f" | redis {redis_s * 1000:8.1f} ms = {n / redis_s:>9.0f}/s | actors/redis {fmt_ratio(redis_s, fan_s)}")


if __name__ == "__main__":
    asyncio.run(main())
