"""The graph reads the feed engine needs: followers in pages, timelines rebuilt from the record,
an author's recent posts, and the naive pull query used as the baseline strategy."""
from __future__ import annotations

from typing import AsyncIterator

from neo4j import AsyncDriver

# Only published posts reach feeds (a video post still processing is its author's alone).
from .predicates import READY

Entry = tuple[int, int]   # (post_id, author_id)
_NO_CURSOR = 2**63 - 1


async def follower_pages(driver: AsyncDriver, author_id: int, page_size: int) -> AsyncIterator[list[int]]:
    """An account's followers in pages (index range scans), never all of them at once. Each page
    comes back as one record holding a list: decoding one record per follower would cost more
    than the whole query."""
    before = _NO_CURSOR
    while True:
        records, _, _ = await driver.execute_query(
            """MATCH (f:User)-[r:FOLLOWS]->(:User) WHERE r.followee = $author AND r.id < $before
               WITH f, r ORDER BY r.followee DESC, r.id DESC LIMIT $n
               RETURN collect(f.id) AS ids, min(r.id) AS last""",
            author=author_id, before=before, n=page_size)
        ids = records[0]["ids"] if records else []
        if not ids:
            return
        yield ids
        if len(ids) < page_size:
            return
        before = records[0]["last"]


async def follower_count(driver: AsyncDriver, user_id: int) -> int:
    records, _, _ = await driver.execute_query(
        "MATCH (u:User {id: $id}) RETURN COUNT { (u)<-[:FOLLOWS]-() } AS n", id=user_id)
    return records[0]["n"] if records else 0


async def recent_posts(driver: AsyncDriver, author_id: int, limit: int) -> list[Entry]:
    records, _, _ = await driver.execute_query(
        f"""MATCH (p:Post) WHERE p.author_id = $author AND {READY}
           RETURN p.id AS id ORDER BY p.author_id DESC, p.id DESC LIMIT $n""", author=author_id, n=limit)
    return [(r["id"], author_id) for r in records]


async def rebuild_timeline(driver: AsyncDriver, user_id: int, celebrity_threshold: int, per_author: int,
                           limit: int) -> tuple[list[Entry], set[int]]:
    """A reader's timeline from the durable record: the newest posts of the accounts they follow
    (and their own), plus the set of followed accounts whose posts are pulled, not pushed."""
    celebrities = await celebrities_followed(driver, user_id, celebrity_threshold)
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $uid}})
           CALL (v) {{
               MATCH (v)-[:FOLLOWS]->(a:User) WHERE NOT a.id IN $celebrities RETURN a.id AS author
               UNION
               RETURN v.id AS author
           }}
           CALL (author) {{
               MATCH (p:Post) WHERE p.author_id = author AND {READY}
               RETURN p.id AS post ORDER BY p.author_id DESC, p.id DESC LIMIT $per_author
           }}
           RETURN post, author ORDER BY post DESC LIMIT $limit""",
        uid=user_id, celebrities=list(celebrities), per_author=per_author, limit=limit)
    return [(r["post"], r["author"]) for r in records], celebrities


async def celebrities_followed(driver: AsyncDriver, user_id: int, threshold: int) -> set[int]:
    records, _, _ = await driver.execute_query(
        """MATCH (:User {id: $uid})-[:FOLLOWS]->(a:User) WHERE COUNT { (a)<-[:FOLLOWS]-() } > $threshold
           RETURN collect(a.id) AS ids""", uid=user_id, threshold=threshold)
    return set(records[0]["ids"]) if records else set()


async def pull_page(driver: AsyncDriver, user_id: int, before: int | None, limit: int) -> list[Entry]:
    """The naive pull feed: followees' (and own) posts queried at read time."""
    records, _, _ = await driver.execute_query(
        f"""MATCH (v:User {{id: $uid}})
           CALL (v) {{
               MATCH (v)-[:FOLLOWS]->(a:User)-[:POSTED]->(p:Post)
               WHERE p.id < $before AND {READY} RETURN p, a
               UNION
               MATCH (v)-[:POSTED]->(p:Post) WHERE p.id < $before AND {READY}
               RETURN p, v AS a
           }}
           RETURN p.id AS id, a.id AS author ORDER BY id DESC LIMIT $n""",
        uid=user_id, before=before if before is not None else _NO_CURSOR, n=limit)
    return [(r["id"], r["author"]) for r in records]


async def followers_among(driver: AsyncDriver, author_id: int, readers: list[int]) -> list[int]:
    """Which of ``readers`` follow the author (one query for a shard's live readers)."""
    if not readers:
        return []
    records, _, _ = await driver.execute_query(
        """MATCH (f:User)-[r:FOLLOWS]->(:User) WHERE r.followee = $author AND r.follower IN $readers
           RETURN collect(r.follower) AS ids""",
        author=author_id, readers=readers)
    return records[0]["ids"] if records else []


async def followees_among(driver: AsyncDriver, reader_id: int, authors: list[int]) -> set[int]:
    """Which of ``authors`` the reader follows (one query for a page of feed events)."""
    if not authors:
        return set()
    records, _, _ = await driver.execute_query(
        """MATCH (:User)-[r:FOLLOWS]->(:User) WHERE r.follower = $reader AND r.followee IN $authors
           RETURN collect(r.followee) AS ids""",
        reader=reader_id, authors=authors)
    return set(records[0]["ids"]) if records else set()
