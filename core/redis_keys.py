"""Every Redis key Raygram uses, built in one place so that names never drift between writers.

All keys share the ``rg:`` prefix so the data set is recognisable in a shared Redis.
"""
from __future__ import annotations

PREFIX = "rg:"


def session(token_hash: str) -> str:
    """Session token (hashed) -> user id; expires with the session."""
    return f"{PREFIX}session:{token_hash}"


def user_sessions(user_id: int) -> str:
    """Set of a user's live session hashes (for revoking them all)."""
    return f"{PREFIX}user-sessions:{user_id}"


def login_attempts(scope: str, subject: str) -> str:
    """Failed-login counter (``scope`` "user", "address" or "user-address"), expiring with its
    window."""
    return f"{PREFIX}login-attempts:{scope}:{subject}"


def login_known_address(username: str, address: str) -> str:
    """Present while ``address`` has logged in to ``username`` recently: failures of others
    against the account never lock this address out. Expires on its own."""
    return f"{PREFIX}login-known:{username}:{address}"


def signup_attempts(address: str) -> str:
    """Sign-ups from one client address, expiring with their window."""
    return f"{PREFIX}signup-attempts:{address}"


def id_worker_counter() -> str:
    """Counter handing out ID-generator worker ids to processes at start-up."""
    return f"{PREFIX}id-worker-seq"


def post_quota(user_id: int, period: str) -> str:
    """Posts counted against a quota period (``day-YYYYMMDD`` or ``month-YYYYMM``, UTC)."""
    return f"{PREFIX}post-quota:{user_id}:{period}"


def sweep_lock(name: str) -> str:
    """Held by the one gateway process running a periodic job."""
    return f"{PREFIX}lock:{name}"


def celebrity_posts(author_id: int) -> str:
    """Recent post ids of an account above the celebrity threshold (score = post id): kept once,
    merged into followers' feeds at read time instead of pushed."""
    return f"{PREFIX}celebrity-posts:{author_id}"


def feed_mark(user_id: int) -> str:
    """A fresh random value whenever the reader's shard changes what their feed holds. Invariant:
    set after the change, by the shard that made it; a gateway reuses a feed page it read while
    the mark (and the marks of the pulled accounts it merged) are what they were before the read."""
    return f"{PREFIX}feed-mark:{user_id}"


def pulled_mark(author_id: int) -> str:
    """A fresh random value whenever an account whose posts are pulled at read (celebrity_posts)
    posts or deletes: the feed_mark of the accounts it does not push to."""
    return f"{PREFIX}pulled-mark:{author_id}"


def shard_count() -> str:
    """The current number of feed-shard actors (changed by `raygram shards scale`)."""
    return f"{PREFIX}feed-shard-count"


def fanout_pending() -> str:
    """Hash of fan-outs not yet completed (post id -> job): retried until done."""
    return f"{PREFIX}fanout-pending"


def feed_snapshot(viewer_id: int, snapshot_id: int) -> str:
    """A ranked feed pass of ``viewer_id``, frozen at its first page so paging never repeats or
    skips. Invariant: only that viewer's requests name this key (the viewer comes from the
    session, never from the cursor), so a cursor cannot read another account's feed order."""
    return f"{PREFIX}feed-snapshot:{viewer_id}:{snapshot_id}"


def feed_snapshot_floor(viewer_id: int, snapshot_id: int) -> str:
    """The oldest candidate of a ranked snapshot: paging continues by recency below it."""
    return f"{PREFIX}feed-snapshot-floor:{viewer_id}:{snapshot_id}"


def post_body(post_id: int) -> str:
    """Cached post body (JSON) for feed hydration. Invariant: deleted whenever the post, its like
    count or its comment count changes; expires on its own for author profile changes."""
    return f"{PREFIX}post-body:{post_id}"


def affinities(viewer_id: int) -> str:
    """Hash of author id -> "mutual:likes given" for one reader's ranked feed. A cache that may
    lag the graph by its TTL (stores/affinities.py): closeness only nudges an order."""
    return f"{PREFIX}affinity:{viewer_id}"


def liked_posts(user_id: int) -> str:
    """Set of post ids a user likes. Invariant: written by every like and unlike, so that feed
    hydration can answer liked_by_me without Neo4j."""
    return f"{PREFIX}liked:{user_id}"


def event_seq(user_id: int) -> str:
    """The last event id issued to an account. Never expires: ids must keep increasing."""
    return f"{PREFIX}event-seq:{user_id}"


def event_log(user_id: int) -> str:
    """An account's event log (a capped Redis Stream; entry id = "<event id>-0")."""
    return f"{PREFIX}events:{user_id}"


# Accounts share this many pub/sub channels: a gateway process subscribes at most this many times
# however many sockets it holds, and filters messages for accounts it does not serve.
LIVE_BUCKETS = 64


def live_channel(user_id: int) -> str:
    """Pub/sub channel on which an account's new events reach every gateway process."""
    return f"{PREFIX}live:{user_id % LIVE_BUCKETS}"


def celebrities() -> str:
    """Accounts currently above the celebrity threshold (their posts are pulled, not pushed)."""
    return f"{PREFIX}celebrities"


def search_outbox(index_prefix: str) -> str:
    """The indexing outbox of the search indexes named ``index_prefix`` (a Redis Stream of
    ``kind``/``id`` entries: "this post, user or author's posts changed"); one per set of indexes,
    so gateways writing other indexes never take its entries. Invariant: an entry is trimmed only
    after every consumer acked it and no reindex still needs to replay it."""
    return f"{PREFIX}search-outbox:{index_prefix}"


def search_followees(viewer_id: int) -> str:
    """Comma-separated ids of the private accounts that approved ``viewer_id``, for search's
    visibility filter (stores/search_visibility.py). A cache that may miss a new approval for its TTL;
    never trusted alone to show a private post (each such hit is checked against the graph)."""
    return f"{PREFIX}search-followees:{viewer_id}"


def search_privacy_pending(index_prefix: str) -> str:
    """Hash author id -> token of accounts whose privacy changed and the indexes named
    ``index_prefix`` may not show it yet. Invariant: set before the graph write; removed only by
    an indexer after that change's outbox entry is written and refreshed (stores/search_visibility.py)."""
    return f"{PREFIX}search-privacy-pending:{index_prefix}"


def search_reindex(index_prefix: str) -> str:
    """Hash alias -> JSON {target, since} of the reindexes in progress for these indexes:
    indexers write to the target too, and the stream is kept from ``since`` on for the reindex to
    replay. Invariant: only meaningful while ``search_reindex_lock`` is held; otherwise stale."""
    return f"{PREFIX}search-reindex:{index_prefix}"


def search_reindex_lock(index_prefix: str) -> str:
    """Held (and renewed) by the one process reindexing these indexes."""
    return f"{PREFIX}lock:search-reindex:{index_prefix}"


def trending_cache(window_s: int, baseline_s: int, limit: int) -> str:
    """Trending hashtags as last computed (JSON), shared by every gateway for a few seconds."""
    return f"{PREFIX}trending:{window_s}:{baseline_s}:{limit}"


def presence(bucket: int) -> str:
    """Sorted set of accounts holding (or recently holding) a live socket: member = account id,
    score = when a gateway last saw its socket open (ms). One per presence bucket
    (live.presence.PRESENCE_BUCKETS), so a shard reads only the buckets of its own slots."""
    return f"{PREFIX}presence:{bucket}"


def stream_slots(user_id: int) -> str:
    """Sorted set of an account's open live streams (v1 and Mastodon, every gateway process):
    member = stream id, score = when it opened (ms). Invariant: a member whose ``stream_alive``
    key is gone is dead (its process crashed, or it was evicted) and is dropped at the next claim."""
    return f"{PREFIX}stream-slots:{user_id}"


def stream_alive(stream_id: str) -> str:
    """Present while the stream holding this id is open: its process refreshes the TTL; deleted
    when the stream is evicted (the process notices on its next refresh, if the eviction message
    on the live channel was missed)."""
    return f"{PREFIX}stream-alive:{stream_id}"


def live_once(kind: str, object_id: int) -> str:
    """Accounts an event about this object was already delivered live to (retried fan-outs)."""
    return f"{PREFIX}live-once:{kind}:{object_id}"


# --- The Mastodon-compatible API (gateway/mastodon/) ------------------------------------------
def oauth_app(client_id: str) -> str:
    """A registered OAuth client: its name, redirect URIs, scopes and hashed secret."""
    return f"{PREFIX}oauth-app:{client_id}"


def oauth_token(token_hash: str) -> str:
    """An OAuth access token (hashed) -> its account, client and scopes; expires with the token."""
    return f"{PREFIX}oauth-token:{token_hash}"


def oauth_live_tokens(user_id: int | None, client_id: str) -> str:
    """Sorted set of the live tokens (digests, score = expiry in ms) one account holds through one
    app (``user_id`` None: the app's own client-credentials tokens). Invariant: past the cap, the
    lowest scores (the oldest) are revoked by the issue that went over it."""
    return f"{PREFIX}oauth-live:{'app' if user_id is None else user_id}:{client_id}"


def oauth_token_issues(scope: str, subject: str) -> str:
    """Tokens issued per client address (``scope`` "address") or app ("app") in the current window."""
    return f"{PREFIX}oauth-token-issues:{scope}:{subject}"


def oauth_code(code_hash: str) -> str:
    """A one-time authorization code (hashed), minutes long."""
    return f"{PREFIX}oauth-code:{code_hash}"


def oauth_app_registrations(address: str) -> str:
    """OAuth client registrations from one address, expiring with their window."""
    return f"{PREFIX}oauth-app-registrations:{address}"


def mastodon_requests(subject: str) -> str:
    """Requests of one account, app (its app-only tokens) or client address in the current
    rate-limit window (gateway/mastodon/ratelimit.subject)."""
    return f"{PREFIX}mastodon-requests:{subject}"


def mastodon_idempotency(user_id: int, key_hash: str) -> str:
    """The status a client's Idempotency-Key already created."""
    return f"{PREFIX}mastodon-idem:{user_id}:{key_hash}"


def video_lease(post_id: int) -> str:
    """Held (with a TTL its holder refreshes) by the one gateway driving a processing video post's
    transcodes to completion; a lapsed lease lets another gateway's sweep take the post over."""
    return f"{PREFIX}video-lease:{post_id}"


def staged_video_lease(media_id: int) -> str:
    """The same, for a video uploaded before its post (the Mastodon API's media)."""
    return f"{PREFIX}video-lease:media:{media_id}"


def video_attempts(media_id: int) -> str:
    """Hash of a video's transcode attempts: how many began, the pid and node of the latest (for
    operators, and for the test that kills that worker). Expires on its own."""
    return f"{PREFIX}video-attempts:{media_id}"


def mastodon_markers(user_id: int) -> str:
    """A user's read markers (timeline -> last read id, version, time)."""
    return f"{PREFIX}mastodon-markers:{user_id}"


def video_slots(account_id: int) -> str:
    """Sorted set of the videos an account has transcoding (media id -> when its slot lapses unless
    its driver refreshes it): the per-account cap, taken atomically (stores/video_slots.py)."""
    return f"{PREFIX}video-slots:{account_id}"


def hidden_authors(user_id: int) -> str:
    """Set of the account ids whose posts a reader never sees in feeds, the live stream, search or
    hashtag pages: those they block, those who block them, those they mute. Invariant: kept in step
    with the graph's BLOCKS and MUTES edges by usecases/safety.py, right after each graph write."""
    return f"{PREFIX}hidden-authors:{user_id}"


def erase_lease(user_id: int) -> str:
    """Held (with a TTL its holder refreshes) by the one gateway erasing a deleted account; a
    lapsed lease lets another gateway's sweep take the erasure over (usecases/account_erasure.py)."""
    return f"{PREFIX}erase-lease:{user_id}"


def export_state(user_id: int) -> str:
    """An account's data export: its state, times and archive key (stores/exports.py)."""
    return f"{PREFIX}export:{user_id}"


def export_lease(user_id: int) -> str:
    """Held (refreshed) by the gateway driving an account's export build."""
    return f"{PREFIX}export-lease:{user_id}"


def deletion_attempts(user_id: str) -> str:
    """Password confirmations of one account's deletion, expiring with their window."""
    return f"{PREFIX}deletion-attempts:{user_id}"


def saved_posts(user_id: int) -> str:
    """Set of the post ids a user saved (bookmarks), plus the member "built" once it was filled
    from the graph (stores/saved_post_ids.py). Invariant: changed by every save and unsave, after
    the graph write; a missing set is rebuilt from the graph."""
    return f"{PREFIX}saved:{user_id}"


def saved_posts_gen(user_id: int) -> str:
    """Counter moved by every save and unsave: a rebuild of ``saved_posts`` that read the graph
    before a change does not write what it read (stores/saved_post_ids.py)."""
    return f"{PREFIX}saved-gen:{user_id}"


def user_card(user_id: int) -> str:
    """An account's profile as statuses and notifications embed it (JSON: username, names, bio,
    privacy, avatar; stores/user_cards.py). Invariant: forgotten by every profile edit, avatar
    change and account deletion, right after the graph write."""
    return f"{PREFIX}user-card:{user_id}"


def user_card_gen(user_id: int) -> str:
    """Counter moved by every forget of ``user_card``: a read that began before a change does not
    write the profile it read (stores/user_cards.py)."""
    return f"{PREFIX}user-card-gen:{user_id}"


def relations(user_id: int) -> str:
    """Hash of an account's relationships (other account id -> bits, core/relationship_bits.py;
    field ``built`` once filled): a rebuildable cache of the graph (stores/relations.py).
    Invariant: dropped, with the other account's, after every follow, unfollow, request, answer,
    removed follower, block, unblock, mute and unmute between them."""
    return f"{PREFIX}relations:{user_id}"


def relations_gen(user_id: int) -> str:
    """Counter moved by every drop of ``relations``: a rebuild that read the graph before a change
    does not write what it read (stores/relations.py)."""
    return f"{PREFIX}relations-gen:{user_id}"


def user_counts(user_id: int) -> str:
    """An account's follower, following and post counts (JSON), kept a few seconds only
    (stores/user_cards.COUNTS_TTL_S): every follow and post moves them."""
    return f"{PREFIX}user-counts:{user_id}"

def notifications_mark(user_id: int) -> str:
    """A random value moved after every change to what a recipient's notifications read (a new
    one, marking read): gateways reuse a page read under the same mark (usecases/notify.py)."""
    return f"{PREFIX}notifications-mark:{user_id}"


def author_posts_mark(author_id: int) -> str:
    """A random value moved after every change to what an account's profile grid shows anyone:
    a post published, ready, failed or deleted, the account's privacy changed, the account
    deleted. Gateways reuse the post ids and visibility they read under the same mark
    (usecases/author_posts.py, stores/profile_marks.py)."""
    return f"{PREFIX}author-posts-mark:{author_id}"


def pair_mark(a: int, b: int) -> str:
    """A random value moved after every change between two accounts that decides whether one may
    see the other's posts (follow, unfollow, accepted request, removed follower, block, unblock,
    mute, unmute); the same key whichever way round (stores/profile_marks.py)."""
    lo, hi = (a, b) if a <= b else (b, a)
    return f"{PREFIX}pair-mark:{lo}:{hi}"
