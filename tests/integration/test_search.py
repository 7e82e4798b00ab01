"""Search through the gateway: captions, hashtags, users, trending, visibility, robustness.

Indexing is asynchronous (outbox -> indexer -> Elasticsearch), so tests wait until what they
expect shows up (`eventually`), and check that hidden things stay hidden only after a later
public post has become searchable (the indexer has passed them by then).
"""
from __future__ import annotations

import asyncio
import dataclasses
import sys

import pytest

from core import redis_keys
from core.clock import now_ms
from gateway.app import create_app
from gateway.keys import IDS, NEO4J, REDIS, SEARCH_EFFECTS, SETTINGS
from graph import posts, users
from search.client import open_client
from core.ids import min_id_at
from search import queries, reader
from search.documents import post_document
from search.indexes import POSTS, ensure_indexes, index_specs, version_of
from stack import manager

from .world import World, eventually

SEARCH = "/api/v1/search/posts"


def ids(items: list[dict]) -> list[str]:
    return [i["id"] for i in items]


async def found(world, viewer, q: str, post_ids: list[str]):
    """Wait until searching ``q`` returns every one of ``post_ids``; the results."""
    async def probe():
        items = await world.search_posts(viewer, q, limit="100")
        return items if set(post_ids) <= set(ids(items)) else None
    items = await eventually(probe)
    assert items is not None, f"{q!r} never found {post_ids}"
    return items


async def test_caption_words_find_posts_best_match_first(world, unique):
    alice = await world.signup("alice")
    harbour = await world.post(alice, caption=f"Golden hour over harbour {unique}")
    rain = await world.post(alice, caption=f"Rainy morning over town {unique}")
    both = await found(world, alice, unique, [harbour["id"], rain["id"]])
    assert set(ids(both)) == {harbour["id"], rain["id"]}
    # Newer first among equally relevant posts (same length, same matches).
    assert ids(both) == [rain["id"], harbour["id"]]
    only = await world.search_posts(alice, f"HARBOUR {unique}")
    assert ids(only) == [harbour["id"]]
    assert only[0]["caption"] == harbour["caption"] and only[0]["media"][0]["urls"]["thumb"]
    assert await world.search_posts(alice, f"snow {unique}") == []


async def test_hashtags_match_case_insensitively_and_combine_with_words(world, unique):
    bob = await world.signup("bob")
    beach = await world.post(bob, caption=f"#Sunset{unique} on the beach")
    city = await world.post(bob, caption=f"City lights #sunset{unique} #night{unique}")
    await found(world, bob, f"#sunset{unique}", [beach["id"], city["id"]])
    assert set(ids(await world.search_posts(bob, f"#SUNSET{unique}"))) == {beach["id"], city["id"]}
    assert ids(await world.search_posts(bob, f"#sunset{unique} beach")) == [beach["id"]]
    assert ids(await world.search_posts(bob, f"#sunset{unique} #night{unique}")) == [city["id"]]
    # A tag is a word of the caption too.
    assert set(ids(await world.search_posts(bob, f"sunset{unique}"))) == {beach["id"], city["id"]}
    assert beach["hashtags"] == [f"sunset{unique}"]


async def test_unicode_and_emoji_captions_are_searchable(world, unique):
    chloe = await world.signup("chloe")
    post = await world.post(chloe, caption=f"Café crème ☕ à 東京 {unique} 🌅 #夕焼け{unique}")
    await found(world, chloe, f"café {unique}", [post["id"]])
    assert ids(await world.search_posts(chloe, f"CAFÉ Crème {unique}")) == [post["id"]]
    assert ids(await world.search_posts(chloe, f"☕ {unique}")) == [post["id"]]
    assert ids(await world.search_posts(chloe, f"🌅 {unique}")) == [post["id"]]
    assert ids(await world.search_posts(chloe, f"東京 {unique}")) == [post["id"]]
    assert ids(await world.search_posts(chloe, f"#夕焼け{unique}")) == [post["id"]]
    page = await world.get(chloe, f"/api/v1/hashtags/夕焼け{unique}/posts")
    assert ids(page["items"]) == [post["id"]]


async def test_users_are_found_by_username_or_display_name_prefix(world, client, unique):
    zed = await world.signup("zephyrine")
    resp = await client.patch("/api/v1/me", json={"display_name": f"Quintessa {unique}"}, headers=zed.auth)
    assert resp.status == 200
    viewer = await world.signup("viewer", private=True)
    await world.follow(viewer, zed)

    async def users(q: str) -> list[dict]:
        return (await world.get(viewer, "/api/v1/search/users", q=q))["items"]

    async def by_display_name():
        return [u for u in await users(f"{unique} quint") if u["id"] == zed.id]
    [seen] = await eventually(by_display_name)
    assert seen["username"] == zed.username and seen["display_name"] == f"Quintessa {unique}"
    assert seen["relationship"]["following"] is True and seen["followers_count"] == 1
    for q in (zed.username[:-3], zed.username.upper(), "@" + zed.username):
        assert zed.id in ids(await users(q)), q
    # The exact username first, even among many prefix matches.
    assert ids(await users(zed.username))[0] == zed.id
    # Private accounts can be found (their posts cannot).
    assert ids(await eventually(lambda: users(viewer.username))) == [viewer.id]


async def test_hashtag_pages_are_newest_first_and_never_repeat(world, unique):
    dora = await world.signup("dora")
    posted = [await world.post(dora, caption=f"day {n} #page{unique}") for n in range(5)]
    want = [p["id"] for p in reversed(posted)]
    path = f"/api/v1/hashtags/PAGE{unique}/posts"

    async def all_indexed():
        return len((await world.get(dora, path, limit="100"))["items"]) == 5
    assert await eventually(all_indexed)
    pages, cursor = [], None
    while True:
        body = await world.get(dora, path, limit="2", **({"cursor": cursor} if cursor else {}))
        pages.append(ids(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == [want[0:2], want[2:4], want[4:5]]
    assert (await world.get(dora, f"/api/v1/hashtags/nothing{unique}/posts"))["items"] == []


async def test_search_pages_stay_full_and_never_show_what_the_caller_may_not_see(world, client, unique):
    hidden = await world.signup("hidden", private=True)
    follower = await world.signup("follower")
    stranger = await world.signup("stranger")
    public = await world.signup("public")
    assert await world.follow(follower, hidden) == "requested"
    resp = await client.post(f"/api/v1/me/follow-requests/{follower.username}/accept", headers=hidden.auth)
    assert resp.status == 204

    private_posts = [await world.post(hidden, caption=f"secret {unique} #shh{unique}") for _ in range(3)]
    public_posts = [await world.post(public, caption=f"open {unique} #shh{unique}") for _ in range(2)]
    doomed = await world.post(public, caption=f"regret {unique} #shh{unique}")
    assert (await client.delete(f"/api/v1/posts/{doomed['id']}", headers=public.auth)).status == 204
    sentinel = await world.post(public, caption=f"sentinel {unique}")
    await found(world, stranger, f"sentinel {unique}", [sentinel["id"]])

    everything = {p["id"] for p in private_posts + public_posts}
    await found(world, follower, f"#shh{unique}", list(everything))
    # Filtered in the query: one-item pages are each full, and together exactly the visible posts.
    for viewer, visible in ((stranger, public_posts), (follower, private_posts + public_posts),
                            (hidden, private_posts + public_posts)):
        for path in (f"{SEARCH}?q=%23shh{unique}", f"/api/v1/hashtags/shh{unique}/posts"):
            items = await world.all_pages(path, viewer, limit=1)
            assert sorted(ids(items)) == sorted(p["id"] for p in visible), (viewer.username, path)
    assert doomed["id"] not in ids(await world.search_posts(stranger, f"regret {unique}"))

    # Going private hides the account's posts from strangers, not from followers.
    assert (await client.patch("/api/v1/me", json={"private": True}, headers=public.auth)).status == 200
    async def gone_for_stranger():
        return not await world.search_posts(stranger, f"open {unique}")
    assert await eventually(gone_for_stranger)
    assert await world.search_posts(public, f"open {unique}")


@pytest.mark.parametrize("q", ['"', "*", "?", "\\", "((", "a OR b", "caption:x", "#", "##", "@", "%",
                               "title:(x AND y)^5 ~2", "/.*/", "😀" * 50, "a" * 256])
async def test_hostile_queries_are_answered_not_crashed(world, q):
    eve = await world.signup("eve")
    for path in (SEARCH, "/api/v1/search/users"):
        resp = await world.client.get(path, params={"q": q}, headers=eve.auth)
        body = await resp.json()
        # Found something, nothing, or a clean contract error: never a 500.
        assert resp.status in (200, 422), (path, q, body)
        assert isinstance(body["items"], list) if resp.status == 200 else body["error"]["code"] == "invalid_query"


async def test_invalid_search_requests_get_contract_errors(world):
    eve = await world.signup("eve")
    cases = [
        (SEARCH, {"q": "x" * 5000}, 422, "query_too_long"),
        (SEARCH, {"q": "   "}, 422, "invalid_query"),
        (SEARCH, {}, 422, "invalid_query"),
        ("/api/v1/search/users", {"q": "x" * 5000}, 422, "query_too_long"),
        (SEARCH, {"q": "x", "limit": "0"}, 422, "validation_failed"),
        (SEARCH, {"q": "x", "cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        ("/api/v1/hashtags/no-such%20tag!/posts", {}, 422, "invalid_hashtag"),
        ("/api/v1/hashtags/123/posts", {}, 422, "invalid_hashtag"),
    ]
    for path, params, status, code in cases:
        resp = await world.client.get(path, params=params, headers=eve.auth)
        assert resp.status == status, (path, params, await resp.text())
        assert (await resp.json())["error"]["code"] == code
    assert (await world.client.get(SEARCH, params={"q": "x"})).status == 401


async def test_trending_ranks_a_burst_above_an_evergreen_tag(isolated_client, unique):
    window = 12
    client = await isolated_client(trending_window_s=window, trending_baseline_s=600, trending_cache_s=0)
    world = World(client, unique)
    a, b, c = [await world.signup(n) for n in ("tr_a", "tr_b", "tr_c")]
    evergreen, burst = f"evergreen{unique}", f"burst{unique}"
    for who in (a, b, a, b):
        await world.post(who, caption=f"as always #{evergreen}")
    await asyncio.sleep(window + 1)            # these four are now the tag's baseline
    for who in (a, b):
        await world.post(who, caption=f"still #{evergreen}")
    for who in (a, b, c):
        await world.post(who, caption=f"suddenly #{burst}")

    async def both_indexed():
        tags = {}
        for tag in (evergreen, burst):
            tags[tag] = len((await world.get(a, f"/api/v1/hashtags/{tag}/posts", limit="100"))["items"])
        return tags == {evergreen: 6, burst: 3}
    assert await eventually(both_indexed)
    items = (await world.get(a, "/api/v1/hashtags/trending", limit="100"))["items"]
    ranked = [i["tag"] for i in items]
    assert burst in ranked, items
    assert evergreen not in ranked or ranked.index(burst) < ranked.index(evergreen), items
    top = next(i for i in items if i["tag"] == burst)
    assert top["posts"] == 3 and top["score"] > 0


async def test_posts_made_while_elasticsearch_is_down_become_searchable_when_it_returns(world, settings, unique):
    fay = await world.signup("fay")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, manager.down, settings, ["elasticsearch"])
    try:
        made = [await world.post(fay, caption=f"offline {unique} number {n}") for n in range(3)]
        resp = await world.client.get(SEARCH, params={"q": "x"}, headers=fay.auth)
        assert resp.status == 503 and (await resp.json())["error"]["code"] == "service_unavailable"
    finally:
        await loop.run_in_executor(None, lambda: manager.up(settings, ["elasticsearch"]))
    await found(world, fay, f"offline {unique}", [p["id"] for p in made])


async def test_reindex_swaps_the_alias_while_search_keeps_serving(world, settings, unique):
    gus = await world.signup("gus")
    before = await world.post(gus, caption=f"before the rebuild {unique}")
    await found(world, gus, f"rebuild {unique}", [before["id"]])

    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "gateway.cli", "search", "reindex", "posts",
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    during, searches = None, 0
    while proc.returncode is None:
        items = await world.search_posts(gus, f"rebuild {unique}")
        assert before["id"] in ids(items)        # never a moment without the index
        searches += 1
        if during is None:
            during = await world.post(gus, caption=f"during the rebuild {unique}")
        try:
            await asyncio.wait_for(proc.wait(), timeout=0.2)
        except asyncio.TimeoutError:
            pass
    output = (await proc.stdout.read()).decode()
    assert proc.returncode == 0, output
    assert searches >= 1
    assert '"alias": "' + f"{settings.es_index_prefix}-posts" in output
    # Written while the new index was filling: in it after the swap.
    await found(world, gus, f"rebuild {unique}", [before["id"], during["id"]])


async def test_a_gateway_finding_an_older_mapping_rebuilds_it_while_serving(aiohttp_client, settings, unique):
    """What a release with a new mapping version does on first start: search keeps answering from
    the old index while a new one is built from Neo4j, then the alias moves and the old goes."""
    prefix = f"rgtest-{unique}"
    alias = f"{prefix}-posts"
    es = open_client(settings)
    try:
        await es.indices.create(index=f"{alias}-v1", aliases={alias: {"is_write_index": True}},
                                settings={"number_of_replicas": 0},
                                mappings={"dynamic": False, "properties": {"id": {"type": "long"}}})
        client = await aiohttp_client(create_app(dataclasses.replace(settings, es_index_prefix=prefix)))
        world = World(client, unique)
        ivy = await world.signup("ivy")
        # Served from the old index meanwhile: answers, never errors.
        assert isinstance(await world.search_posts(ivy, "anything"), list)

        async def migrated():
            behind = list((await es.indices.get_alias(name=alias)).keys())
            current = behind and all(version_of(i) == index_specs(prefix)[POSTS].version for i in behind)
            # The old index goes right after the alias moves.
            return current and not await es.indices.exists(index=f"{alias}-v1")
        assert await eventually(migrated, timeout=120)
        post = await world.post(ivy, caption=f"after the migration {unique}")
        await found(world, ivy, f"migration {unique}", [post["id"]])
    finally:
        await es.options(ignore_status=404).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        for spec in index_specs(prefix).values():
            await es.options(ignore_status=404).indices.delete_index_template(name=spec.alias)
        await es.close()


async def test_an_account_going_public_is_found_by_strangers(world, client, unique):
    shy = await world.signup("shy", private=True)
    stranger = await world.signup("stranger")
    post = await world.post(shy, caption=f"coming out {unique}")
    await found(world, shy, f"coming {unique}", [post["id"]])     # also caches the post as private
    assert await world.search_posts(stranger, f"coming {unique}") == []
    assert (await client.patch("/api/v1/me", json={"private": False}, headers=shy.auth)).status == 200
    await found(world, stranger, f"coming {unique}", [post["id"]])


async def test_a_post_whose_outbox_entry_was_lost_is_found_by_the_reconciler(isolated_client, unique):
    client = await isolated_client(search_reconcile_every_s=1, search_reconcile_settle_s=0)
    world = World(client, unique)
    hal = await world.signup("hal")
    # A gateway that died between the Neo4j commit and the outbox append left exactly this.
    media = [{"id": client.app[IDS].next_id(), "position": 0, "width": 8, "height": 8, "content_type": "image/jpeg",
              "alt": "", "keys": [f"media/lost-{unique}/{v}.jpg" for v in ("thumb", "small", "medium", "original")]}]
    lost = await posts.create_post(client.app[NEO4J], author_id=int(hal.id), post_id=client.app[IDS].next_id(),
                                   caption=f"never announced {unique}", hashtags=[], media=media, now_ms=now_ms())
    # One reconciler per interval across gateways: a developer's long-running gateway may hold the
    # turn for minutes. Running twice is harmless (it only re-queues), so this test takes the turn.
    await client.app[REDIS].delete(redis_keys.sweep_lock(f"search-reconcile:{client.app[SETTINGS].es_index_prefix}"))
    await found(world, hal, f"announced {unique}", [str(lost["id"])])


async def test_caption_search_pages_through_equal_timestamps_and_ranks_only_its_window(settings, unique):
    """search_after on (score, id): posts made in the same millisecond with the same caption score
    the same, and the id alone orders them, so paging neither repeats nor skips; the candidate
    window keeps the newest matches."""
    prefix = f"rgtest-{unique}"
    es = open_client(settings)
    try:
        await ensure_indexes(es, prefix)
        alias, at = index_specs(prefix)[POSTS].alias, now_ms() - 1000
        same = [min_id_at(at) + n for n in range(6)]          # one millisecond, six posts
        older = [min_id_at(at - 60_000) + n for n in range(2)]
        for post_id in same + older:
            await es.index(index=alias, id=str(post_id), document=post_document({
                "id": post_id, "caption": f"twin words {unique}", "author_id": 1, "author_username": "a",
                "created_at": at if post_id in same else at - 60_000}))
        await es.indices.refresh(index=alias)
        query, viewer = queries.parse_post_query(f"twin {unique}"), queries.Viewer(1, ())
        seen, after = [], None
        while True:
            hits = await reader.post_search(es, alias, query, viewer, origin_ms=at + 500, after=after, size=3)
            seen += [h.id for h in hits[:2]]
            if len(hits) <= 2:
                break
            after = tuple(hits[1].sort)
        assert seen == sorted(same, reverse=True) + sorted(older, reverse=True)
        window = await reader.run(es, alias, queries.caption_window(query, viewer, origin_ms=at + 500, candidates=4))
        floor = reader.hit_sorts(window)[0][0]
        assert floor == sorted(same, reverse=True)[3]
        body = queries.search_posts(query, viewer, origin_ms=at + 500, after=None, size=20, floor_id=floor)
        assert [s[-1] for s in reader.hit_sorts(await reader.run(es, alias, body))] == sorted(same, reverse=True)[:4]
        # Posts made after the search began are not in it (its pages share one window).
        body = queries.search_posts(query, viewer, origin_ms=at - 1, after=None, size=20)
        assert [s[-1] for s in reader.hit_sorts(await reader.run(es, alias, body))] == sorted(older, reverse=True)
    finally:
        await es.options(ignore_status=404).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        for spec in index_specs(prefix).values():
            await es.options(ignore_status=404).indices.delete_index_template(name=spec.alias)
        await es.close()


async def test_search_needs_no_graph_read_yet_never_shows_a_private_post_to_a_non_follower(world, client, unique):
    """The viewer's private followees are cached and the index's privacy is trusted for public
    authors (search/visibility.py): a follower removed after the cache was filled, and an account
    gone private before the index knows it, still show nothing to whoever may not see it."""
    shy = await world.signup("shy", private=True)
    fan = await world.signup("fan")
    stranger = await world.signup("stranger")
    loud = await world.signup("loud")
    assert await world.follow(fan, shy) == "requested"
    secret = await world.post(shy, caption=f"hush {unique}")
    await found(world, shy, f"hush {unique}", [secret["id"]])
    # Searched before the approval: the fan's cached followees are empty. The approval drops them.
    assert await world.search_posts(fan, f"hush {unique}") == []
    resp = await client.post(f"/api/v1/me/follow-requests/{fan.username}/accept", headers=shy.auth)
    assert resp.status == 204
    assert ids(await world.search_posts(fan, f"hush {unique}")) == [secret["id"]]     # at once
    # Removed as a follower: the cache still names shy, the graph no longer lets the fan in.
    assert (await client.delete(f"/api/v1/me/followers/{fan.username}", headers=shy.auth)).status in (200, 204)
    assert await world.search_posts(fan, f"hush {unique}") == []

    # An account going private while the index still has it public: hidden at once, before the
    # indexer has rewritten its posts (the graph write is made here without the outbox entry, so
    # neither the index nor the cached post body has caught up; only the pending mark protects it).
    said = await world.post(loud, caption=f"shout {unique}")
    await found(world, stranger, f"shout {unique}", [said["id"]])
    search_effects = client.app[SEARCH_EFFECTS]
    await search_effects.visibility_changing(int(loud.id))
    await users.update_profile(client.app[NEO4J], int(loud.id), {"private": True})
    assert await world.search_posts(stranger, f"shout {unique}") == []
    assert ids(await world.search_posts(loud, f"shout {unique}")) == [said["id"]]
    # Announced: the indexer rewrites the posts, refreshes, then drops the mark; still hidden.
    await search_effects.visibility_changed(int(loud.id))
    pending = redis_keys.search_privacy_pending(client.app[SETTINGS].es_index_prefix)

    async def settled():
        return not await client.app[REDIS].hexists(pending, loud.id)
    assert await eventually(settled)
    assert await world.search_posts(stranger, f"shout {unique}") == []
