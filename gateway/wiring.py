"""The use cases (usecases/) and the stores they share, built once per process from the
connections gateway/resources.py opened, and put on the app for the routes.

This is the one place that knows which use case needs which store; a use case itself only sees
what its constructor is given.
"""
from __future__ import annotations

from typing import AsyncIterator

from aiohttp import web

from core import redis_keys
from core.config import Settings
from live.presence import Presence
from live.session import EventRenderer
from live.resume_points import ResumePoints
from media.process import ImageLimits
from stores.affinities import Affinities
from stores.exports import ExportStates
from stores.feed_snapshots import FeedSnapshots
from stores.hidden_authors import HiddenAuthors
from stores.liked_posts import LikedPosts
from stores.login_limits import LoginLimits
from stores.mastodon_state import IdempotencyKeys, Markers
from stores.notification_marks import NotificationMarks
from stores.profile_marks import ProfileMarks
from stores.oauth_apps import OAuthApps
from stores.oauth_tokens import OAuthTokens
from stores.post_bodies import PostBodies
from stores.quotas import PostQuotas
from stores.saved_post_ids import SavedPostIds
from stores.search_visibility import SearchVisibility
from stores.ratelimit import AttemptLimit
from stores.relations import Relations
from stores.trending_cache import TrendingCache
from stores.user_cards import UserCards
from usecases.account_erasure import AccountErasure
from usecases.accounts import Accounts
from usecases.author_posts import AuthorPosts
from usecases.avatars import Avatars
from usecases.engagement import Engagement
from usecases import export_task
from usecases.exports import Exports
from usecases.home_feed import HomeFeed
from usecases.hydration import Hydrator
from usecases.notify import Notifier
from usecases.media_ingest import MediaIngest
from usecases.media_library import MediaLibrary
from usecases.oauth import IssueLimits, OAuth
from usecases.posts import Posts
from usecases.publisher import Announcer, Publisher
from usecases.safety import Safety
from usecases.saved_posts import SavedPosts
from usecases.search_reads import SearchReads
from usecases.seen_accounts import SeenAccounts
from usecases.social import Social
from usecases.video_posts import VideoPosts

from .event_views import StoreEventViews
from .mastodon import keys as mastodon
from .mastodon.present import Presenter
from .keys import (ACCOUNTS, AUTHOR_POSTS, ERASURE, EXPORTS, SESSIONS, AVATARS, ENGAGEMENT, EVENTS, FEED, HOME_FEED, HYDRATOR, IDS, MEDIA_INGEST, MEDIA_POOL, MEDIA_URLS, NEO4J, NOTIFIER, POSTS,
                   PUBLISHER, REDIS, RENDERER, EVENT_VIEWS, RESUME_POINTS, S3, SAFETY, SAVED, SEARCH, SEARCH_EFFECTS, SEARCH_READS, SETTINGS, SOCIAL, USER_CARDS, VIDEOS)


async def usecases_ctx(app: web.Application) -> AsyncIterator[None]:
    """After every connection context: nothing of its own to open or close."""
    build(app)
    yield


def build(app: web.Application) -> None:
    settings, redis, driver, ids = app[SETTINGS], app[REDIS], app[NEO4J], app[IDS]
    feed, search = app[FEED], app[SEARCH_EFFECTS]
    bodies, liked, hidden = PostBodies(redis, driver), LikedPosts(redis), HiddenAuthors(redis)
    profile_marks = ProfileMarks(redis)       # profile grids (usecases/author_posts.py), moved by writes
    cards = app[USER_CARDS] = UserCards(redis, driver)
    notifier = app[NOTIFIER] = Notifier(driver, ids, app[EVENTS], redis, NotificationMarks(redis), hidden, cards)
    relations = Relations(redis, driver)      # user search's flags, dropped by social and safety writes
    social = Social(driver, ids, feed, search, notifier, profile_marks, relations)
    signups = AttemptLimit(redis, redis_keys.signup_attempts, settings.signups_per_address, settings.signup_window_s,
                           "Too many sign-ups from your address; try again later.")
    app[SOCIAL] = social
    app[ACCOUNTS] = Accounts(driver, ids, search, social, bodies, signups, LoginLimits(redis, settings),
                             cards, profile_marks)
    quotas = PostQuotas(redis, settings.posts_per_day, settings.posts_per_month)
    # One publish path: media in (ingest), the post committed and announced (v1 posts, Mastodon
    # statuses; finished videos through the same announcer).
    announcer = Announcer(feed, search, profile_marks)
    videos = app[VIDEOS] = VideoPosts(driver, redis, app[S3], settings, quotas, bodies, announcer, app[EVENTS],
                                        profile_marks=profile_marks)
    ingest = app[MEDIA_INGEST] = MediaIngest(ids, app[MEDIA_POOL], ImageLimits.from_settings(settings), app[S3],
                                             settings.s3_bucket, videos)
    app[PUBLISHER] = Publisher(driver, ids, quotas, ingest, announcer, videos)
    app[POSTS] = Posts(driver, app[S3], settings.s3_bucket, feed, search, bodies, events=app[EVENTS],
                       presence=Presence(redis, settings.presence_ttl_s, settings.event_live_window_s),
                       followers_page=settings.feed_fanout_page, profile_marks=profile_marks)
    app[ERASURE] = AccountErasure(driver, redis, app[S3], settings.s3_bucket, feed, search, bodies, cards, app[SESSIONS],
                                  OAuthTokens(redis, settings.mastodon_token_ttl_s), batch=settings.erase_batch,
                                  lease_s=settings.erase_lease_s, sweep_s=settings.erase_sweep_s,
                                  profile_marks=profile_marks)
    app[EXPORTS] = Exports(driver, app[S3], settings.s3_bucket, ids, ExportStates(redis, int(settings.erase_lease_s * 1000)),
                           lambda user_id, key: export_task.submit(settings, user_id, key))
    app[AVATARS] = Avatars(driver, ingest, app[S3], settings.s3_bucket, bodies, cards, search)
    app[ENGAGEMENT] = Engagement(driver, ids, liked, bodies, search, notifier)
    app[SAFETY] = Safety(driver, ids, feed, search, hidden, profile_marks, relations)
    app[RESUME_POINTS] = ResumePoints(redis, Presence(redis, settings.presence_ttl_s, settings.event_live_window_s))
    hydrator = app[HYDRATOR] = Hydrator(driver, bodies, liked, hidden)
    app[AUTHOR_POSTS] = AuthorPosts(driver, bodies, liked, profile_marks)
    app[SAVED] = SavedPosts(driver, ids, hydrator, SavedPostIds(redis))
    # Live events are rendered per reader at delivery, from the same stores the API reads.
    views = app[EVENT_VIEWS] = StoreEventViews(driver, bodies, liked, app[MEDIA_URLS], hidden)
    app[RENDERER] = EventRenderer(views)
    app[HOME_FEED] = HomeFeed(feed, hydrator, Affinities(redis, driver), FeedSnapshots(redis),
                                  settings.feed_ranked_window)
    app[SEARCH_READS] = SearchReads(app[SEARCH], driver, hydrator, TrendingCache(redis, settings.trending_cache_s),
                                    SearchVisibility(redis, settings.es_index_prefix),
                                    SeenAccounts(redis, cards, relations), index_prefix=settings.es_index_prefix,
                                    trending_window_s=settings.trending_window_s,
                                    trending_baseline_s=settings.trending_baseline_s,
                                    trending_min_authors=settings.trending_min_authors)


# Registrations of OAuth clients per address per hour.
APP_REGISTRATIONS_PER_HOUR = 100


def build_mastodon(app: web.Application, settings: Settings) -> None:
    """The Mastodon API's own objects, on its app (which already carries the main app's): OAuth
    with its tokens and issue limits, the media library, the presenter, idempotency keys and
    markers. ``settings``: the Mastodon app's (its own in tests of its limits)."""
    redis, driver = app[REDIS], app[NEO4J]
    tokens = app[mastodon.OAUTH_TOKENS] = OAuthTokens(redis, settings.mastodon_token_ttl_s,
                                                      settings.mastodon_app_token_ttl_s,
                                                      settings.mastodon_live_tokens_per_grant)
    registrations = AttemptLimit(redis, redis_keys.oauth_app_registrations, APP_REGISTRATIONS_PER_HOUR, 3600,
                                 "Too many apps registered from your address; try again later.")
    issue_limits = IssueLimits(
        AttemptLimit(redis, lambda a: redis_keys.oauth_token_issues("address", a), settings.mastodon_tokens_per_address,
                     settings.mastodon_token_window_s, "Too many token requests from your address; try again later."),
        AttemptLimit(redis, lambda c: redis_keys.oauth_token_issues("app", c), settings.mastodon_tokens_per_app,
                     settings.mastodon_token_window_s, "Too many tokens issued to this app; try again later."))
    app[mastodon.OAUTH] = OAuth(OAuthApps(redis), tokens, app[ACCOUNTS], registrations, app[IDS], issue_limits)
    app[mastodon.MEDIA_LIBRARY] = MediaLibrary(driver, app[MEDIA_INGEST])
    app[mastodon.PRESENTER] = Presenter(driver, app[MEDIA_URLS], app[USER_CARDS], app[SAVED])
    app[mastodon.IDEMPOTENCY], app[mastodon.MARKERS] = IdempotencyKeys(redis), Markers(redis)
