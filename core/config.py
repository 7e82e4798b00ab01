"""The one place Raygram reads its configuration.

Every setting comes from an environment variable (``RAYGRAM_*``) with a default that fits the local
stack started by ``raygram stack up``. Service passwords and keys are not defaults: the stack
generates them once into ``<var>/secrets.json`` and this module reads them from there unless the
environment names them (a deployment against other endpoints sets the variables instead).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parents[1]

# Secrets that the local stack generates; the keys double as the names used in secrets.json.
SECRET_NAMES = ("neo4j_password", "s3_access_key", "s3_secret_key")


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    cache_dir: Path

    host: str
    port: int
    # Gateway worker processes on the same addresses (gateway/workers.py); 0: one per core.
    gateway_workers: int

    redis_port: int
    redis_url: str

    neo4j_bolt_port: int
    neo4j_http_port: int
    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str
    neo4j_heap: str
    neo4j_pagecache: str

    es_port: int
    es_transport_port: int
    es_url: str
    es_heap: str
    es_index_prefix: str

    s3_port: int
    s3_console_port: int
    s3_endpoint: str
    s3_region: str
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str
    # The S3 endpoint as clients reach it; presigned URLs are signed for this host.
    s3_public_endpoint: str

    ray_port: int
    ray_address: str
    ray_namespace: str
    ray_num_cpus: int
    ray_object_store_bytes: int
    ray_temp_dir: Path
    # The address the Ray head's processes listen on and advertise. Loopback keeps every Ray
    # listener off the network; a multi-machine cluster (ray_cluster.yaml) uses the host's address
    # and relies on token authentication alone.
    ray_node_ip: str
    # Every Ray process of the cluster and every client presents this token (Ray's token auth).
    ray_token_file: Path
    # Ray's worker processes (actors, task workers, drivers) each listen on one port of this range.
    ray_min_worker_port: int
    ray_max_worker_port: int
    feed_shards: int

    probe_timeout_s: float

    session_ttl_s: int
    # Failed logins per window (see README, "Accounts and sessions"): one address guessing one
    # account; one account from every address it never logged in from (its owner's known
    # addresses are exempt, so nobody can lock the owner out); one address over all accounts.
    login_failures_per_user_address: int
    login_failures_per_user: int
    login_failures_per_address: int
    login_window_s: int
    # An address that logged in successfully stays "known" for its account this long.
    login_known_address_ttl_s: int
    signups_per_address: int       # sign-ups per client address per signup_window_s
    signup_window_s: int
    json_max_bytes: int            # JSON request bodies above this are refused (413) unread
    # Peers whose X-Forwarded-For names the client (a load balancer in front of the gateways).
    trusted_proxies: tuple[str, ...]

    media_max_bytes: int
    media_max_parts: int
    media_max_pixels: int
    media_workers: int
    # Each media worker process: its address space (RLIMIT_AS; a 64 MP photo peaks near 650 MB),
    # the CPU seconds one task may use (RLIMIT_CPU, moved per task; the slowest accepted image
    # takes about 2.5 s), and the tasks a pool of workers runs before fresh ones replace it.
    media_worker_memory_bytes: int
    media_worker_cpu_s: int
    media_worker_recycle_tasks: int
    # Animated GIFs: frames, and pixels decoded over all frames (each frame is a whole canvas).
    media_gif_max_frames: int
    media_gif_max_pixels: int
    media_url_ttl_s: int
    # Videos (README "Video"): bytes of one video part, and what its probed headers may declare.
    video_max_bytes: int
    video_max_duration_s: float
    video_max_side: int
    video_max_pixels: int
    video_max_fps: float
    video_max_streams: int
    video_max_per_post: int
    # Each transcode is a Ray task with these resources (Ray schedules it on any node that has them).
    video_task_memory_bytes: int
    # CPUs each transcode task declares, and so its decoder's and libx264's threads (README "Video").
    video_task_cpus: int
    # A transcode's wall-clock deadline, counted from when its task starts on a worker: a base plus
    # so much per second of (declared, else the longest allowed) video. Also its RLIMIT_CPU.
    video_deadline_s: float
    video_deadline_per_s: float
    # How often a gateway looks for processing video posts nobody drives (a gateway died), and how
    # long a driver's lease lasts without being refreshed.
    video_sweep_s: float
    video_lease_s: float
    # Account erasure (usecases/account_erasure.py): how often each gateway looks for accounts
    # being erased that nobody drives, how long a driver's lease lasts unrefreshed, and how many
    # posts (or likes, comments, edges...) one step erases.
    erase_sweep_s: float
    erase_lease_s: float
    erase_batch: int
    posts_per_day: int
    posts_per_month: int
    # Objects younger than this are never swept: their upload may still be committing.
    orphan_grace_s: int
    orphan_sweep_interval_s: int

    # push: fan out every post; pull: query Neo4j at read time (the naive baseline); hybrid: push
    # for most, pull for accounts above the celebrity threshold.
    feed_strategy: str
    feed_celebrity_threshold: int
    feed_timeline_max: int
    feed_backfill_posts: int
    feed_ranked_window: int
    feed_fanout_page: int
    # How often shards re-run fan-outs that never completed (e.g. Neo4j was down meanwhile).
    feed_pending_sweep_s: float

    event_log_min_events: int      # each account's event log keeps at least this many
    event_live_window_s: int       # feed events are logged for readers connected this recently
    ws_queue_max: int              # events buffered per socket before a slow reader is cut off
    ws_heartbeat_s: float
    presence_ttl_s: float          # a socket's presence mark lapses this long after its gateway stops refreshing it

    search_batch: int              # outbox entries an indexer applies per Elasticsearch bulk call
    search_retry_max_s: float      # longest pause between retries while a backing service is down
    search_claim_idle_s: float     # another indexer's unacked entries older than this are taken over
    search_reconcile_every_s: float   # how often one gateway compares recent posts in Neo4j and the index
    search_reconcile_lookback_s: int  # ... created this long ago at most
    search_reconcile_settle_s: int    # ... and at least this long ago (younger ones may be in flight)
    trending_window_s: int         # "now": posts this recent count towards a burst
    trending_baseline_s: int       # the tag's usual rate is measured over this span before the window
    trending_min_authors: int      # a tag trends only if this many distinct accounts use it in the window
    trending_cache_s: int

    # The Mastodon-compatible client API (gateway/mastodon/): its own listener, beside the v1
    # contract, so its paths never collide with /api/v1 (0 turns it off). Every request there
    # counts against a per-token (or per-address) window, reported in X-RateLimit-* headers.
    mastodon_host: str = "127.0.0.1"
    mastodon_port: int = 8081
    mastodon_requests_per_window: int = 300
    mastodon_window_s: int = 300
    mastodon_token_ttl_s: int = 90 * 24 * 3600
    # Client-credentials (app-only) tokens stand for no account and are used for a moment before
    # login (registering, reading the instance): an hour, not 90 days.
    mastodon_app_token_ttl_s: int = 3600
    # Tokens issued (any grant) per client address and per client app, per token window: a person
    # logs in a few times an hour; an app shared by all its users (web clients register one app
    # per server) needs more. Past either, 429.
    mastodon_tokens_per_address: int = 30
    mastodon_tokens_per_app: int = 600
    mastodon_token_window_s: int = 3600
    # Live tokens per (account, app), and per app for app-only tokens: issuing one more revokes the
    # oldest (a phone, a tablet and some browsers each keep their own login to one app).
    mastodon_live_tokens_per_grant: int = 10
    # Open live streams per account, v1 WebSocket and Mastodon streams together: opening one more
    # closes the oldest (README "The live stream").
    streams_per_account: int = 20
    # Redis' maxmemory (its policy is noeviction: sessions, tokens, event logs, quotas and the
    # search outbox are durable even where they carry a TTL, so Redis refuses writes when full
    # rather than dropping any). Default: a quarter of the host's memory, at least 256 MB.
    redis_maxmemory_bytes: int = 256 * 1024 * 1024

    @property
    def secrets_file(self) -> Path:
        return self.var_dir / "secrets.json"

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def secret_values(self) -> tuple[str, ...]:
        """The secrets' values (non-empty ones): what no log line may contain."""
        return tuple(v for v in (getattr(self, n) for n in SECRET_NAMES) if v)

    def without_secrets(self) -> "Settings":
        """These settings with every secret blanked: what may travel as a Ray call argument (Ray
        keeps arguments in its object store and GCS, readable by any process of the cluster)."""
        return replace(self, **{name: "" for name in SECRET_NAMES})

    def with_node_secrets(self) -> "Settings":
        """These settings with the secrets this machine holds: its RAYGRAM_* environment, else the
        secrets.json of ``var_dir`` (what an actor calls on settings received without them)."""
        node = load_settings({**os.environ, "RAYGRAM_VAR_DIR": str(self.var_dir)})
        return replace(self, **{name: getattr(node, name) for name in SECRET_NAMES})

    def redacted(self) -> dict[str, str]:
        """Settings as strings, secrets masked: safe to log or print."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.name in SECRET_NAMES and value else str(value)
        return out


def read_secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "secrets.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def _default_cache_dir() -> Path:
    # Installed services (jars, the Elasticsearch distribution, the MinIO binary) are shared by every
    # clone on the machine. As root they go where the unprivileged user that runs Elasticsearch can
    # read them: root's home is closed to other users.
    if os.geteuid() == 0:
        return Path("/var/cache/raygram")
    return Path.home() / ".cache" / "raygram"


def _quarter_of_memory() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 0
    return max(total // 4, 256 * 1024 * 1024)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        return env.get(f"RAYGRAM_{name}", default)

    def get_int(name: str, default: int) -> int:
        return int(get(name, str(default)))

    var_dir = Path(get("VAR_DIR", str(REPO_ROOT / "var"))).resolve()
    cache_dir = Path(get("CACHE_DIR", str(_default_cache_dir()))).resolve()
    secrets = read_secrets(var_dir)

    def secret(name: str) -> str:
        return env.get(f"RAYGRAM_{name.upper()}", secrets.get(name, ""))

    host = get("HOST", "127.0.0.1")
    redis_port = get_int("REDIS_PORT", 6379)
    bolt_port = get_int("NEO4J_BOLT_PORT", 7687)
    es_port = get_int("ES_PORT", 9200)
    s3_port = get_int("S3_PORT", 9000)
    ray_port = get_int("RAY_PORT", 6380)

    return Settings(
        var_dir=var_dir,
        cache_dir=cache_dir,
        host=host,
        port=get_int("PORT", 8080),
        gateway_workers=get_int("GATEWAY_WORKERS", 0),
        redis_port=redis_port,
        redis_url=get("REDIS_URL", f"redis://127.0.0.1:{redis_port}/0"),
        neo4j_bolt_port=bolt_port,
        neo4j_http_port=get_int("NEO4J_HTTP_PORT", 7474),
        neo4j_uri=get("NEO4J_URI", f"bolt://127.0.0.1:{bolt_port}"),
        neo4j_user=get("NEO4J_USER", "neo4j"),
        neo4j_password=secret("neo4j_password"),
        neo4j_heap=get("NEO4J_HEAP", "512m"),
        neo4j_pagecache=get("NEO4J_PAGECACHE", "256m"),
        es_port=es_port,
        es_transport_port=get_int("ES_TRANSPORT_PORT", 9300),
        es_url=get("ES_URL", f"http://127.0.0.1:{es_port}"),
        es_heap=get("ES_HEAP", "384m"),
        es_index_prefix=get("ES_INDEX_PREFIX", "raygram"),
        s3_port=s3_port,
        s3_console_port=get_int("S3_CONSOLE_PORT", 9001),
        s3_endpoint=get("S3_ENDPOINT", f"http://127.0.0.1:{s3_port}"),
        s3_region=get("S3_REGION", "us-east-1"),
        s3_access_key=secret("s3_access_key"),
        s3_secret_key=secret("s3_secret_key"),
        s3_bucket=get("S3_BUCKET", "raygram-media"),
        s3_public_endpoint=get("S3_PUBLIC_ENDPOINT", get("S3_ENDPOINT", f"http://127.0.0.1:{s3_port}")),
        ray_port=ray_port,
        ray_address=get("RAY_ADDRESS", f"127.0.0.1:{ray_port}"),
        ray_namespace=get("RAY_NAMESPACE", "raygram"),
        ray_num_cpus=get_int("RAY_NUM_CPUS", 2),
        ray_object_store_bytes=get_int("RAY_OBJECT_STORE_BYTES", 256 * 1024 * 1024),
        ray_temp_dir=Path(get("RAY_TEMP_DIR", str(var_dir / "ray"))).resolve(),
        ray_node_ip=get("RAY_NODE_IP", "127.0.0.1"),
        ray_token_file=Path(get("RAY_TOKEN_FILE", str(var_dir / "ray-token"))).resolve(),
        ray_min_worker_port=get_int("RAY_MIN_WORKER_PORT", 10100),
        ray_max_worker_port=get_int("RAY_MAX_WORKER_PORT", 10599),
        feed_shards=get_int("FEED_SHARDS", 4),
        probe_timeout_s=float(get("PROBE_TIMEOUT_S", "2.0")),
        session_ttl_s=get_int("SESSION_TTL_S", 30 * 24 * 3600),
        login_failures_per_user_address=get_int("LOGIN_FAILURES_PER_USER_ADDRESS", 10),
        login_failures_per_user=get_int("LOGIN_FAILURES_PER_USER", 100),
        login_failures_per_address=get_int("LOGIN_FAILURES_PER_ADDRESS", 100),
        login_window_s=get_int("LOGIN_WINDOW_S", 15 * 60),
        login_known_address_ttl_s=get_int("LOGIN_KNOWN_ADDRESS_TTL_S", 30 * 24 * 3600),
        signups_per_address=get_int("SIGNUPS_PER_ADDRESS", 5),
        signup_window_s=get_int("SIGNUP_WINDOW_S", 3600),
        json_max_bytes=get_int("JSON_MAX_BYTES", 64 * 1024),
        trusted_proxies=tuple(p for p in get("TRUSTED_PROXIES", "").split(",") if p),
        media_max_bytes=get_int("MEDIA_MAX_BYTES", 10 * 1024 * 1024),
        media_max_parts=get_int("MEDIA_MAX_PARTS", 10),
        media_max_pixels=get_int("MEDIA_MAX_PIXELS", 64_000_000),
        media_workers=get_int("MEDIA_WORKERS", 2),
        media_worker_memory_bytes=get_int("MEDIA_WORKER_MEMORY_BYTES", 1024 * 1024 * 1024),
        media_worker_cpu_s=get_int("MEDIA_WORKER_CPU_S", 20),
        media_worker_recycle_tasks=get_int("MEDIA_WORKER_RECYCLE_TASKS", 100),
        media_gif_max_frames=get_int("MEDIA_GIF_MAX_FRAMES", 1000),
        media_gif_max_pixels=get_int("MEDIA_GIF_MAX_PIXELS", 100_000_000),
        media_url_ttl_s=get_int("MEDIA_URL_TTL_S", 3600),
        video_max_bytes=get_int("VIDEO_MAX_BYTES", 100 * 1024 * 1024),
        video_max_duration_s=float(get("VIDEO_MAX_DURATION_S", "180")),
        video_max_side=get_int("VIDEO_MAX_SIDE", 4096),
        video_max_pixels=get_int("VIDEO_MAX_PIXELS", 4096 * 2304),
        video_max_fps=float(get("VIDEO_MAX_FPS", "120")),
        video_max_streams=get_int("VIDEO_MAX_STREAMS", 8),
        video_max_per_post=get_int("VIDEO_MAX_PER_POST", 4),
        video_task_memory_bytes=get_int("VIDEO_TASK_MEMORY_BYTES", 1024 * 1024 * 1024),
        video_task_cpus=get_int("VIDEO_TASK_CPUS", 1),
        video_deadline_s=float(get("VIDEO_DEADLINE_S", "60")),
        video_deadline_per_s=float(get("VIDEO_DEADLINE_PER_S", "6")),
        video_sweep_s=float(get("VIDEO_SWEEP_S", "15")),
        video_lease_s=float(get("VIDEO_LEASE_S", "60")),
        erase_sweep_s=float(get("ERASE_SWEEP_S", "15")),
        erase_lease_s=float(get("ERASE_LEASE_S", "60")),
        erase_batch=get_int("ERASE_BATCH", 200),
        posts_per_day=get_int("POSTS_PER_DAY", 10),
        posts_per_month=get_int("POSTS_PER_MONTH", 500),
        orphan_grace_s=get_int("ORPHAN_GRACE_S", 3600),
        orphan_sweep_interval_s=get_int("ORPHAN_SWEEP_INTERVAL_S", 600),
        feed_strategy=get("FEED_STRATEGY", "hybrid"),
        feed_celebrity_threshold=get_int("FEED_CELEBRITY_THRESHOLD", 10_000),
        feed_timeline_max=get_int("FEED_TIMELINE_MAX", 800),
        feed_backfill_posts=get_int("FEED_BACKFILL_POSTS", 50),
        feed_ranked_window=get_int("FEED_RANKED_WINDOW", 200),
        feed_fanout_page=get_int("FEED_FANOUT_PAGE", 5000),
        feed_pending_sweep_s=float(get("FEED_PENDING_SWEEP_S", "30")),
        event_log_min_events=get_int("EVENT_LOG_MIN_EVENTS", 2000),
        event_live_window_s=get_int("EVENT_LIVE_WINDOW_S", 24 * 3600),
        ws_queue_max=get_int("WS_QUEUE_MAX", 256),
        ws_heartbeat_s=float(get("WS_HEARTBEAT_S", "20")),
        presence_ttl_s=float(get("PRESENCE_TTL_S", "60")),
        search_batch=get_int("SEARCH_BATCH", 500),
        search_retry_max_s=float(get("SEARCH_RETRY_MAX_S", "5")),
        search_claim_idle_s=float(get("SEARCH_CLAIM_IDLE_S", "60")),
        search_reconcile_every_s=float(get("SEARCH_RECONCILE_EVERY_S", "300")),
        search_reconcile_lookback_s=get_int("SEARCH_RECONCILE_LOOKBACK_S", 2 * 3600),
        search_reconcile_settle_s=get_int("SEARCH_RECONCILE_SETTLE_S", 60),
        trending_window_s=get_int("TRENDING_WINDOW_S", 3600),
        trending_baseline_s=get_int("TRENDING_BASELINE_S", 7 * 24 * 3600),
        trending_min_authors=get_int("TRENDING_MIN_AUTHORS", 2),
        trending_cache_s=get_int("TRENDING_CACHE_S", 30),
        mastodon_host=get("MASTODON_HOST", "127.0.0.1"),
        mastodon_port=get_int("MASTODON_PORT", 8081),
        mastodon_requests_per_window=get_int("MASTODON_REQUESTS_PER_WINDOW", 300),
        mastodon_window_s=get_int("MASTODON_WINDOW_S", 300),
        mastodon_token_ttl_s=get_int("MASTODON_TOKEN_TTL_S", 90 * 24 * 3600),
        mastodon_app_token_ttl_s=get_int("MASTODON_APP_TOKEN_TTL_S", 3600),
        mastodon_tokens_per_address=get_int("MASTODON_TOKENS_PER_ADDRESS", 30),
        mastodon_tokens_per_app=get_int("MASTODON_TOKENS_PER_APP", 600),
        mastodon_token_window_s=get_int("MASTODON_TOKEN_WINDOW_S", 3600),
        mastodon_live_tokens_per_grant=get_int("MASTODON_LIVE_TOKENS_PER_GRANT", 10),
        streams_per_account=get_int("STREAMS_PER_ACCOUNT", 20),
        redis_maxmemory_bytes=get_int("REDIS_MAXMEMORY_BYTES", _quarter_of_memory()),
    )
