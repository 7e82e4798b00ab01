"""Social-graph benchmark: follow, unfollow, profile read and follower paging through the gateway.

    .venv/bin/python -m bench.social_graph [--users 100000] [--concurrency 16]

Builds (once; reused while it exists) a power-law follow graph of ``--users`` accounts directly in
Neo4j: one celebrity followed by everyone, followees otherwise drawn from a Zipf distribution (a
few accounts with tens of thousands of followers), out-degrees heavy-tailed and capped at 1,000.
Then drives a gateway process of its own over loopback and prints throughput and p50/p99 per
operation, beside the same graph queries run directly against Neo4j in the same run (the ratio is
the gateway's overhead) and beside OFFSET paging (what cursor paging avoids).
"""
from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import random
import time

from core.config import load_settings
from core.ids import IdGenerator
from stores.sessions import SessionStore
from graph import follows, users
from graph.driver import open_driver
from stack import manager
from stack.services import ensure_secrets

from stack.gateway_process import GatewayProcess

from .common import closed_loop, fmt_ratio, run_auto_commit, session

PREFIX = "bench_u"
MARKER = "social-graph-v1"
MAX_OUT_DEGREE = 1000
# Bench ids come from a worker id no gateway leases at these counts, so they never collide.
IDS = IdGenerator(worker=1023)


def username(i: int) -> str:
    return f"{PREFIX}{i}"


def plan_edges(n: int, rng: random.Random) -> list[tuple[int, int]]:
    """Follow edges (follower index, followee index), deduplicated, no self-follows."""
    weights = [1.0 / (k + 1) ** 1.05 for k in range(n)]
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    edges: set[tuple[int, int]] = set()
    for a in range(n):
        if a != 0:
            edges.add((a, 0))                       # the celebrity: followed by everyone
        degree = min(MAX_OUT_DEGREE, int(rng.paretovariate(1.6) * 4))
        for _ in range(degree):
            b = bisect.bisect_left(cumulative, rng.random() * total)
            if b != a and b < n:
                edges.add((a, b))
    return sorted(edges)


async def build_graph(driver, n: int) -> dict[str, int]:
    records, _, _ = await driver.execute_query("MATCH (m:BenchMarker {name: $name}) RETURN m.users AS users, "
                                               "m.edges AS edges, m.ids AS ids", name=MARKER)
    if records and records[0]["users"] == n:
        print(f"graph: reusing {n} users / {records[0]['edges']} edges already in Neo4j")
        return {"edges": records[0]["edges"]}
    print(f"graph: building {n} users ...", flush=True)
    await run_auto_commit(driver, "MATCH (u:User) WHERE u.username STARTS WITH $p CALL (u) { DETACH DELETE u } "
                          "IN TRANSACTIONS OF 5000 ROWS", p=PREFIX)
    await driver.execute_query("MATCH (m:BenchMarker {name: $name}) DELETE m", name=MARKER)
    t0 = time.perf_counter()
    ids = [IDS.next_id() for _ in range(n)]
    for start in range(0, n, 10_000):
        rows = [{"id": ids[i], "username": username(i)} for i in range(start, min(n, start + 10_000))]
        await driver.execute_query(
            "UNWIND $rows AS row CREATE (:User {id: row.id, username: row.username, display_name: row.username, "
            "bio: '', private: false, created_at: timestamp(), password_hash: 'bench-no-login'})", rows=rows)
    print(f"graph: users in {time.perf_counter() - t0:.1f}s; planning edges ...", flush=True)
    edges = plan_edges(n, random.Random(42))
    t0 = time.perf_counter()
    for start in range(0, len(edges), 20_000):
        rows = [{"a": ids[a], "b": ids[b], "id": IDS.next_id()} for a, b in edges[start:start + 20_000]]
        await driver.execute_query(
            "UNWIND $rows AS row MATCH (a:User {id: row.a}), (b:User {id: row.b}) "
            "CREATE (a)-[:FOLLOWS {id: row.id, since: timestamp(), follower: row.a, followee: row.b}]->(b)", rows=rows)
        if start % 200_000 == 0:
            print(f"graph: {start + len(rows)} / {len(edges)} edges", flush=True)
    print(f"graph: {len(edges)} edges in {time.perf_counter() - t0:.1f}s", flush=True)
    await driver.execute_query("CREATE (:BenchMarker {name: $name, users: $n, edges: $e})", name=MARKER, n=n, e=len(edges))
    return {"edges": len(edges)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()

    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    driver = open_driver(settings)
    graph = await build_graph(driver, args.users)

    records, _, _ = await driver.execute_query(
        "MATCH (u:User) WHERE u.username STARTS WITH $p WITH u, COUNT { (u)<-[:FOLLOWS]-() } AS f "
        "ORDER BY f DESC LIMIT 5 RETURN u.username AS name, u.id AS id, f", p=PREFIX)
    print("most followed: " + ", ".join(f"{r['name']}={r['f']}" for r in records))
    celebrity = records[0]

    import redis.asyncio as aioredis
    redis = aioredis.from_url(settings.redis_url)
    store = SessionStore(redis, 3600)
    rng = random.Random(7)
    sample = rng.sample(range(1, args.users), 400)
    id_records, _, _ = await driver.execute_query(
        "UNWIND $names AS name MATCH (u:User {username: name}) RETURN u.username AS name, u.id AS id",
        names=[username(i) for i in sample])
    viewers = {r["name"]: r["id"] for r in id_records}
    tokens = {name: await store.issue(uid) for name, uid in viewers.items()}
    names = list(viewers)

    results = []
    with GatewayProcess(settings, args.port) as gw:
        async with session(base_url=gw.url) as http:
            def auth(name: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {tokens[name]}"}

            async def profile_read(i: int) -> None:
                viewer = names[i % len(names)]
                async with http.get(f"/api/v1/users/{username(rng.randrange(args.users))}", headers=auth(viewer)) as r:
                    assert r.status == 200
                    await r.read()

            # Pairs that do not exist yet: each viewer follows other sampled viewers.
            pairs = [(a, b) for k in range(1, 6) for a, b in zip(names, names[k:] + names[:k])][: args.ops]

            async def follow(i: int) -> None:
                a, b = pairs[i]
                async with http.put(f"/api/v1/users/{b}/follow", headers=auth(a)) as r:
                    assert r.status == 200

            async def unfollow(i: int) -> None:
                a, b = pairs[i]
                async with http.delete(f"/api/v1/users/{b}/follow", headers=auth(a)) as r:
                    assert r.status == 204

            async def page_walk(i: int) -> None:
                # Each op is one page, continuing a walk deep into the celebrity's followers.
                cursor = walk_cursors[i % len(walk_cursors)]
                params = {"limit": "20"} | ({"cursor": cursor} if cursor else {})
                async with http.get(f"/api/v1/users/{celebrity['name']}/followers", params=params,
                                    headers=auth(names[i % len(names)])) as r:
                    assert r.status == 200
                    walk_cursors[i % len(walk_cursors)] = (await r.json())["next_cursor"]

            walk_cursors: list[str | None] = [None] * args.concurrency
            await closed_loop("warm-up", profile_read, concurrency=args.concurrency, total=200)
            results.append(await closed_loop("gateway: profile read", profile_read,
                                             concurrency=args.concurrency, total=args.ops))
            results.append(await closed_loop("gateway: follow", follow, concurrency=args.concurrency, total=len(pairs)))
            results.append(await closed_loop("gateway: unfollow", unfollow, concurrency=args.concurrency, total=len(pairs)))
            results.append(await closed_loop("gateway: followers page (100k)", page_walk,
                                             concurrency=args.concurrency, total=args.ops))

    # The same work straight against Neo4j, same run: the gateway's overhead is the ratio.
    viewer_ids = list(viewers.values())

    async def direct_profile(i: int) -> None:
        await users.get_by_username(driver, username(rng.randrange(args.users)), viewer_ids[i % len(viewer_ids)])

    direct_cursor: list[int | None] = [None] * args.concurrency

    async def direct_page(i: int) -> None:
        slot = i % len(direct_cursor)
        rows = await follows.edge_page(driver, "FOLLOWS", "followee", celebrity["id"], viewer_ids[0], direct_cursor[slot], 20)
        direct_cursor[slot] = rows[19]["_edge_id"] if len(rows) > 20 else None

    async def offset_page(i: int) -> None:
        # What cursor paging avoids: sorting every follower to skip to a deep page.
        await driver.execute_query(
            "MATCH (u:User)-[r:FOLLOWS]->(:User {id: $id}) WITH u, r ORDER BY r.id DESC SKIP $skip LIMIT 20 "
            "RETURN u.username", id=celebrity["id"], skip=(i * 997) % 90_000)

    results.append(await closed_loop("direct neo4j: profile read", direct_profile,
                                     concurrency=args.concurrency, total=args.ops))
    results.append(await closed_loop("direct neo4j: followers page", direct_page,
                                     concurrency=args.concurrency, total=args.ops))
    results.append(await closed_loop("direct neo4j: OFFSET page (baseline)", offset_page,
                                     concurrency=args.concurrency, total=max(50, args.ops // 10)))

    await redis.aclose()
    await driver.close()

    print(f"\nsocial graph: {args.users} users, {graph['edges']} follow edges, "
          f"{args.concurrency} concurrent clients, celebrity with {celebrity['f']} followers")
    for r in results:
        print(r.line())
    by = {r.name: r for r in results}
    print("\nratios (same run):")
    print(f"  profile read p50, gateway vs direct:     {fmt_ratio(by['gateway: profile read'].pct(50), by['direct neo4j: profile read'].pct(50))}")
    print(f"  followers page p50, gateway vs direct:   {fmt_ratio(by['gateway: followers page (100k)'].pct(50), by['direct neo4j: followers page'].pct(50))}")
    print(f"  OFFSET vs cursor page p50 (direct):      {fmt_ratio(by['direct neo4j: OFFSET page (baseline)'].pct(50), by['direct neo4j: followers page'].pct(50))}")


if __name__ == "__main__":
    asyncio.run(main())
