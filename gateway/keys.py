"""Typed application keys: what the app factory puts on the app for handlers to use."""
from __future__ import annotations

from aiohttp import web
from elasticsearch import AsyncElasticsearch
from neo4j import AsyncDriver
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from live.hub import LiveHub
from live.session import EventRenderer
from live.resume_points import ResumePoints
from actors.feed_engine import FeedEngine
from actors.shards import ShardLink
from core.config import Settings
from core.ids import IdGenerator
from media.pool import MediaPool
from search.port import OutboxSearchEffects
from stores.event_log import EventLog
from stores.sessions import SessionStore
from stores.user_cards import UserCards
from usecases.account_erasure import AccountErasure
from usecases.accounts import Accounts
from usecases.avatars import Avatars
from usecases.engagement import Engagement
from usecases.exports import Exports
from usecases.home_feed import HomeFeed
from usecases.author_posts import AuthorPosts
from usecases.hydration import Hydrator
from usecases.media_ingest import MediaIngest
from usecases.notify import Notifier
from usecases.posts import Posts
from usecases.publisher import Publisher
from usecases.safety import Safety
from usecases.saved_posts import SavedPosts
from usecases.search_reads import SearchReads
from usecases.social import Social
from usecases.video_posts import VideoPosts

from .event_views import StoreEventViews
from .media_urls import MediaUrls

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", Redis)
NEO4J = web.AppKey("neo4j", AsyncDriver)
SEARCH = web.AppKey("search", AsyncElasticsearch)
S3 = web.AppKey("s3", object)
SHARDS = web.AppKey("shards", ShardLink)
METRICS = web.AppKey("metrics", CollectorRegistry)
IDS = web.AppKey("ids", IdGenerator)
SESSIONS = web.AppKey("sessions", SessionStore)
FEED = web.AppKey("feed", FeedEngine)
SEARCH_EFFECTS = web.AppKey("search_effects", OutboxSearchEffects)
MEDIA_POOL = web.AppKey("media_pool", MediaPool)
# Signs media URLs for the endpoint clients reach (may differ from the one the gateway uses).
EVENTS = web.AppKey("events", EventLog)
LIVE = web.AppKey("live", LiveHub)
RENDERER = web.AppKey("renderer", EventRenderer)
# What live events are rendered from (posts, notifications), before each API makes its frames.
EVENT_VIEWS = web.AppKey("event_views", StoreEventViews)
MEDIA_URLS = web.AppKey("media_urls", MediaUrls)
# The use cases (usecases/), built once per process by gateway/resources.py: routes call these.
ACCOUNTS = web.AppKey("accounts", Accounts)
AVATARS = web.AppKey("avatars", Avatars)
SOCIAL = web.AppKey("social", Social)
SAFETY = web.AppKey("safety", Safety)
SAVED = web.AppKey("saved", SavedPosts)
POSTS = web.AppKey("posts", Posts)
PUBLISHER = web.AppKey("publisher", Publisher)
MEDIA_INGEST = web.AppKey("media_ingest", MediaIngest)
VIDEOS = web.AppKey("videos", VideoPosts)
ERASURE = web.AppKey("erasure", AccountErasure)
EXPORTS = web.AppKey("exports", Exports)
ENGAGEMENT = web.AppKey("engagement", Engagement)
NOTIFIER = web.AppKey("notifier", Notifier)
# Accounts as statuses and notifications embed them (both APIs read them).
USER_CARDS = web.AppKey("user_cards", UserCards)
HYDRATOR = web.AppKey("hydrator", Hydrator)
AUTHOR_POSTS = web.AppKey("author_posts", AuthorPosts)
RESUME_POINTS = web.AppKey("resume_points", ResumePoints)
HOME_FEED = web.AppKey("home_feed", HomeFeed)
SEARCH_READS = web.AppKey("search_reads", SearchReads)
# The process's other listeners by name (the Mastodon API's), each a /readyz probe.
LISTENERS = web.AppKey("listeners", dict)
