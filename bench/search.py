"""Search benchmark: indexing throughput, query latency per kind, creation-to-searchable lag.

    .venv/bin/python -m bench.search [--posts 1000000] [--queries 300] [--keep] [--reuse-index]
                                     [--only caption hashtag user trending] [--profile DIR] [--lag-posts 30]
                                     [--workers 1] [--concurrency 4]

In one run, against the real services (indexes and outbox of their own, prefix ``raygram-bench``):
  1. seeds ``--posts`` posts (captions from a Zipf vocabulary, 0-3 hashtags each, spread over 30
     days, by the 100,000 accounts of bench.social_graph) straight into Neo4j;
  2. indexing throughput: a full reindex Neo4j -> Elasticsearch (posts/s), against the baseline of
     bulk-loading the same documents, pre-built in memory, into a scratch index (no Neo4j);
     then the outbox path: 20,000 entries drained by the gateway's indexer (entries/s);
  3. p50/p99 through the gateway for caption words, #hashtag search, a hashtag's page, user
     prefix and trending, each against the same query body sent straight to Elasticsearch (after
     20 unmeasured queries each way: connections and caches warm);
  4. lag from a POST /posts answer to the post being found by search/posts.
Indexes live under the prefix ``raygram-bench`` and bench posts are deleted from Neo4j at the end
(unless --keep), so the product's own indexes and later test runs are untouched.

Loading 1M posts takes minutes on 2 cores: ``--keep`` leaves the posts and the indexes in place,
and ``--reuse-index`` then skips step 2 when the bench indexes already hold them at the current
mapping version (a mapping change still rebuilds them, through the same reindex as a release).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from core.redis_client import open_redis
from actors.shards import connect, stop_named_actors
from core import redis_keys
from core.clock import now_ms
from core.config import load_settings
from graph.driver import open_driver
from search import queries, reader
from search.client import open_client
from search.documents import post_document
from search.indexer import bulk, copy_ops
from search.indexes import ensure_indexes, index_specs
from search.outbox import POST, Outbox
from search.reindex import reindex
from stack import manager
from stack.gateway_process import GatewayProcess, free_port
from stack.services import ensure_secrets
from tests import images

from .common import Result, closed_loop, fmt_ratio, run_auto_commit, session
from .feed import post_id_at
from .social_graph import PREFIX, build_graph

BENCH_PREFIX = "raygram-bench"
NAMESPACE = "raygram-bench-search"
MARKER = "search-posts"
VOCABULARY = 5000
TAGS = 800


def word(rank: int) -> str:
    # Pronounceable, distinct, stable across runs.
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    out, n = [], rank + 1
    while n:
        n, r = divmod(n, len(consonants) * len(vowels))
        out.append(consonants[r % len(consonants)] + vowels[r // len(consonants)])
    return "".join(out)


def zipf(rng: random.Random, n: int) -> int:
    return min(n - 1, int(rng.paretovariate(1.1)) - 1)


def caption(rng: random.Random) -> tuple[str, list[str]]:
    words = [word(zipf(rng, VOCABULARY)) for _ in range(rng.randint(5, 12))]
    tags = sorted({f"t{word(zipf(rng, TAGS))}" for _ in range(rng.choice((0, 1, 1, 2, 3)))})
    return " ".join(words) + "".join(f" #{t}" for t in tags), tags


async def seed(driver, posts: int) -> int:
    records, _, _ = await driver.execute_query("MATCH (m:BenchMarker {name: $m}) RETURN m.posts AS n", m=MARKER)
    if records and records[0]["n"] == posts:
        return 0
    await delete_seeded(driver)
    authors, _, _ = await driver.execute_query(
        "MATCH (u:User) WHERE u.username STARTS WITH $p RETURN u.id AS id LIMIT 100000", p=PREFIX)
    authors = [r["id"] for r in authors]
    rng, now = random.Random(5), now_ms()
    for start in range(0, posts, 20_000):
        rows = []
        for i in range(start, min(posts, start + 20_000)):
            ms = now - rng.randrange(30 * 24 * 3600 * 1000)
            text, tags = caption(rng)
            rows.append({"id": post_id_at(ms, i), "author": authors[zipf(rng, len(authors))], "at": ms,
                         "caption": text, "tags": tags})
        await driver.execute_query(
            """UNWIND $rows AS row MATCH (u:User {id: row.author})
               CREATE (u)-[:POSTED]->(:Post:BenchSearchPost {id: row.id, author_id: row.author, caption: row.caption,
                                                             hashtags: row.tags, created_at: row.at})""", rows=rows)
    await driver.execute_query("MERGE (m:BenchMarker {name: $m}) SET m.posts = $n", m=MARKER, n=posts)
    return posts


async def delete_seeded(driver) -> None:
    await run_auto_commit(driver, "MATCH (p:BenchSearchPost) CALL { WITH p DETACH DELETE p } IN TRANSACTIONS OF 20000 ROWS")
    await driver.execute_query("MATCH (m:BenchMarker {name: $m}) DELETE m", m=MARKER)


async def raw_bulk_baseline(es, n: int) -> float:
    """Documents built in memory, bulk-loaded with the same settings: Elasticsearch's own ceiling."""
    rng, now = random.Random(9), now_ms()
    docs = []
    for i in range(n):
        text, tags = caption(rng)
        docs.append(post_document({"id": i + 1, "caption": text, "hashtags": tags, "author_id": i % 1000,
                                   "author_username": "x", "author_private": False, "created_at": now}))
    index = f"{BENCH_PREFIX}-scratch"
    await es.indices.delete(index=index, ignore_unavailable=True)
    await es.indices.create(index=index, mappings=index_specs(BENCH_PREFIX)["posts"].mappings,
                            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"})
    t0 = time.perf_counter()
    for start in range(0, n, 2000):
        await bulk(es, copy_ops(index, docs[start:start + 2000], 1))
    elapsed = time.perf_counter() - t0
    await es.indices.delete(index=index)
    return n / elapsed


async def indexed_posts(es) -> int:
    alias = index_specs(BENCH_PREFIX)["posts"].alias
    if not await es.indices.exists_alias(name=alias):
        return 0
    return (await es.count(index=alias))["count"]


async def indexing_rates(es, redis, driver) -> list[str]:
    """A full reindex of both bench indexes (they hold exactly the bench posts plus every
    account), against bulk-loading in-memory documents."""
    [posts_report] = await reindex(es, redis, driver, BENCH_PREFIX, kinds=("posts",), progress=print)
    [users_report] = await reindex(es, redis, driver, BENCH_PREFIX, kinds=("users",))
    reindex_rate = posts_report.copied / posts_report.seconds
    raw_rate = await raw_bulk_baseline(es, 100_000)
    return [
        f"indexed posts: {posts_report.copied} (all posts in Neo4j), users: {users_report.copied}",
        f"full reindex Neo4j -> Elasticsearch: {reindex_rate:,.0f} posts/s ({posts_report.seconds:.0f} s)",
        f"baseline, in-memory documents bulk-loaded: {raw_rate:,.0f} posts/s -> reindex at "
        f"{fmt_ratio(reindex_rate, raw_rate)} of Elasticsearch's own ceiling",
    ]


async def drain_rate(redis, driver, count: int) -> float:
    records, _, _ = await driver.execute_query(
        "MATCH (p:BenchSearchPost) RETURN p.id AS id LIMIT $n", n=count)
    outbox = Outbox(redis, BENCH_PREFIX)
    t0 = time.perf_counter()
    entries = [(POST, r["id"]) for r in records]
    for start in range(0, len(entries), 1000):
        await outbox.add(entries[start:start + 1000])
    while True:
        state = await outbox.state()
        if not state["pending"] and not state["unread"]:
            return len(entries) / (time.perf_counter() - t0)
        await asyncio.sleep(0.05)


def start_profile(pid: int, name: str, out_dir: str) -> subprocess.Popen:
    """py-spy over the gateway while one kind's gateway pass runs (collapsed stacks, stopped with
    SIGINT when the pass ends)."""
    out = Path(out_dir) / (name.replace(" ", "_").replace("#", "") + ".txt")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    # --subprocesses: with --workers the serving processes are the supervisor's children.
    return subprocess.Popen([spy, "record", "-p", str(pid), "-f", "raw", "-o", str(out), "-r", "200", "--subprocesses"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(spy: subprocess.Popen | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


async def latency_pairs(http, es, viewer_id: int, token: str, total: int, concurrency: int, *,
                        only: list[str] | None = None, gateway_pid: int | None = None,
                        profile_dir: str | None = None) -> list[str]:
    rng = random.Random(21)
    alias = index_specs(BENCH_PREFIX)["posts"].alias
    users_alias = index_specs(BENCH_PREFIX)["users"].alias
    viewer = queries.Viewer(viewer_id, ())
    auth = {"Authorization": f"Bearer {token}"}

    def words_q(i: int) -> str:
        return f"{word(zipf(rng, 300))} {word(zipf(rng, 300))}"

    def tag_q(i: int) -> str:
        return f"t{word(zipf(rng, 200))}"

    def user_q(i: int) -> str:
        return f"{PREFIX}{rng.randrange(100_000)}"[:len(PREFIX) + 3]

    def post_search(q: str):
        # The same Elasticsearch requests as the gateway's (a caption search makes two).
        return reader.post_search(es, alias, queries.parse_post_query(q), viewer, origin_ms=now_ms(),
                                        after=None, size=21)

    kinds = [
        ("caption words", "/api/v1/search/posts", lambda q: {"q": q}, words_q, post_search),
        ("#hashtag search", "/api/v1/search/posts", lambda q: {"q": "#" + q}, tag_q, lambda q: post_search("#" + q)),
        ("hashtag page", None, lambda q: {}, tag_q,
         lambda q: es.search(index=alias, body=queries.hashtag_posts(q, viewer, before=None, size=21), request_cache=True)),
        ("user prefix", "/api/v1/search/users", lambda q: {"q": q}, user_q,
         lambda q: es.search(index=users_alias, body=queries.search_users(q, after=None, size=21), request_cache=True)),
    ]
    lines = []
    for name, path, params, make_q, direct in kinds:
        if only and not any(o in name for o in only):
            continue
        async def via_gateway(i: int) -> None:
            q = make_q(i)
            url = path or f"/api/v1/hashtags/{q}/posts"
            async with http.get(url, params=params(q), headers=auth) as r:
                if r.status != 200:
                    raise RuntimeError(f"{r.status} {await r.text()}")
                await r.read()

        async def via_es(i: int) -> None:
            await direct(make_q(i))

        # Unmeasured warm-up of both sides (connections, caches, JIT of Elasticsearch's query paths).
        warm = min(20, total)
        await closed_loop("warm-up", via_gateway, concurrency=concurrency, total=warm)
        await closed_loop("warm-up", via_es, concurrency=concurrency, total=warm)
        spy = start_profile(gateway_pid, name, profile_dir) if profile_dir and gateway_pid else None
        try:
            gw = await closed_loop(f"{name} (gateway)", via_gateway, concurrency=concurrency, total=total)
        finally:
            stop_profile(spy)
        raw = await closed_loop(f"{name} (Elasticsearch direct)", via_es, concurrency=concurrency, total=total)
        lines += [gw.line(), raw.line(),
                  f"  -> gateway/direct p50 {fmt_ratio(gw.pct(50), raw.pct(50))}  p99 {fmt_ratio(gw.pct(99), raw.pct(99))}"
                  f"  throughput {fmt_ratio(gw.throughput, raw.throughput)}"]
        print("\n".join(lines[-3:]), flush=True)
    if only and "trending" not in only:
        return lines

    async def trending(i: int) -> None:
        async with http.get("/api/v1/hashtags/trending", headers=auth) as r:
            if r.status != 200:
                raise RuntimeError(f"{r.status} {await r.text()}")
            await r.read()
    tr = await closed_loop("trending (gateway, 30 s cache)", trending, concurrency=concurrency, total=total)
    lines.append(tr.line())
    t0 = time.perf_counter()
    await es.search(index=alias, body=queries.trending(window_s=3600, baseline_s=7 * 86400))
    lines.append(f"trending aggregation uncached (Elasticsearch direct): {(time.perf_counter() - t0) * 1000:.0f} ms")
    print("\n".join(lines[-2:]), flush=True)
    return lines


async def creation_lag(http, token: str, n: int) -> Result:
    auth = {"Authorization": f"Bearer {token}"}
    lags, photo = [], images.jpeg()
    for i in range(n):
        marker = f"lagprobe{random.randrange(10**9)}"
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("media", photo, filename="p.jpg", content_type="image/jpeg")
        form.add_field("caption", f"lag test {marker}")
        async with http.post("/api/v1/posts", data=form, headers=auth) as r:
            assert r.status == 201, await r.text()
            post_id = (await r.json())["id"]
        t0 = time.perf_counter()
        while True:
            async with http.get("/api/v1/search/posts", params={"q": marker}, headers=auth) as r:
                items = (await r.json())["items"]
            if any(p["id"] == post_id for p in items):
                break
            await asyncio.sleep(0.02)
        lags.append(time.perf_counter() - t0)
        async with http.delete(f"/api/v1/posts/{post_id}", headers=auth) as r:
            assert r.status == 204
    return Result("POST answered -> found by search", lags, sum(lags))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lag-posts", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1,
                        help="gateway worker processes (the stack runs one per core; 1 keeps runs comparable)")
    parser.add_argument("--only", nargs="+", metavar="KIND",
                        help="only the query kinds whose names contain one of these (caption, hashtag, user, trending)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the gateway during each kind's pass, into DIR")
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded posts in Neo4j and the bench indexes for the next run")
    parser.add_argument("--reuse-index", action="store_true",
                        help="skip indexing (and its figures) if the kept bench indexes are current and full")
    args = parser.parse_args()

    settings = ensure_secrets(load_settings())
    manager.up(settings, gateway=False)
    settings = dataclasses.replace(settings, es_index_prefix=BENCH_PREFIX)
    driver, redis, es = open_driver(settings), open_redis(settings.redis_url), open_client(settings)
    es = es.options(request_timeout=120)
    lines: list[str] = []
    try:
        await build_graph(driver, 100_000)
        t0 = time.perf_counter()
        seeded = await seed(driver, args.posts)
        if seeded:
            print(f"seeded {seeded} posts into Neo4j in {time.perf_counter() - t0:.0f} s", flush=True)
        outdated = await ensure_indexes(es, BENCH_PREFIX)
        reused = args.reuse_index and not seeded and not outdated and await indexed_posts(es) >= args.posts
        if reused:
            lines.append(f"reused the bench indexes: {await indexed_posts(es)} posts (indexing not measured)")
        else:
            lines += await indexing_rates(es, redis, driver)
        print("\n".join(lines), flush=True)

        port = free_port()
        env = {"RAYGRAM_ES_INDEX_PREFIX": BENCH_PREFIX, "RAYGRAM_RAY_NAMESPACE": NAMESPACE,
               "RAYGRAM_POSTS_PER_DAY": "100000", "RAYGRAM_POSTS_PER_MONTH": "100000",
               "RAYGRAM_SIGNUPS_PER_ADDRESS": "100000", "RAYGRAM_GATEWAY_WORKERS": str(args.workers)}
        with GatewayProcess(settings, port, env) as gw:
            async with session(base_url=gw.url) as http:
                name = f"bench_search_{random.randrange(10**6)}"
                async with http.post("/api/v1/accounts", json={"username": name, "password": "bench pass 1"}) as r:
                    body = await r.json()
                token, viewer = body["token"], int(body["user"]["id"])
                if not reused:
                    rate = await drain_rate(redis, driver, 20_000)
                    lines.append(f"outbox drained by one gateway's indexer: {rate:,.0f} entries/s "
                                 f"(each: read from Neo4j, bulk-written)")
                    print(lines[-1], flush=True)
                lines += await latency_pairs(http, es, viewer, token, args.queries, args.concurrency, only=args.only,
                                             gateway_pid=gw.proc.pid, profile_dir=args.profile)
                if args.lag_posts:
                    lag = await creation_lag(http, token, args.lag_posts)
                    lines.append(f"lag {lag.name}: p50 {lag.pct(50):.0f} ms  p99 {lag.pct(99):.0f} ms  "
                                 f"max {max(lag.latencies_s) * 1000:.0f} ms (n={len(lag.latencies_s)}, "
                                 f"refresh_interval 1 s)")
                    print(lines[-1], flush=True)
        print("\n== search benchmark ==\n" + "\n".join(lines))
    finally:
        connect(settings)       # before any Ray call: a call without a connection starts a local cluster
        stop_named_actors(NAMESPACE)
        if not args.keep:
            await delete_seeded(driver)
            for spec in index_specs(BENCH_PREFIX).values():
                await es.indices.delete(index=f"{spec.alias}-v*", ignore_unavailable=True)
            await redis.delete(redis_keys.search_reindex(BENCH_PREFIX))
        await es.close()
        await redis.aclose()
        await driver.close()


if __name__ == "__main__":
    asyncio.run(main())
