"""The Mastodon routes Raygram serves, as the community OpenAPI document names them (templated
the same way: ``{id}``), split into those whose JSON is checked against it and those that are
not JSON entities (with why). The conformance test fails when the Mastodon app gains a route
that is in neither list."""
from __future__ import annotations

SERVED: list[tuple[str, str]] = [
    ("POST", "/api/v1/apps"), ("GET", "/api/v1/apps/verify_credentials"), ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"), ("GET", "/.well-known/oauth-authorization-server"), ("GET", "/oauth/userinfo"),
    ("GET", "/api/v1/instance"), ("GET", "/api/v2/instance"),
    ("GET", "/api/v1/accounts/verify_credentials"), ("PATCH", "/api/v1/accounts/update_credentials"),
    ("DELETE", "/api/v1/profile/avatar"), ("DELETE", "/api/v1/profile/header"),
    ("GET", "/api/v1/accounts/lookup"), ("GET", "/api/v1/accounts/search"), ("GET", "/api/v1/accounts/relationships"),
    ("GET", "/api/v1/accounts/{id}"), ("GET", "/api/v1/accounts/{id}/statuses"),
    ("GET", "/api/v1/accounts/{id}/followers"), ("GET", "/api/v1/accounts/{id}/following"),
    ("POST", "/api/v1/accounts/{id}/follow"), ("POST", "/api/v1/accounts/{id}/unfollow"),
    ("POST", "/api/v1/accounts/{id}/block"), ("POST", "/api/v1/accounts/{id}/unblock"),
    ("POST", "/api/v1/accounts/{id}/mute"), ("POST", "/api/v1/accounts/{id}/unmute"),
    ("POST", "/api/v1/accounts/{id}/remove_from_followers"),
    ("GET", "/api/v1/follow_requests"), ("POST", "/api/v1/follow_requests/{account_id}/authorize"),
    ("POST", "/api/v1/follow_requests/{account_id}/reject"),
    ("POST", "/api/v1/statuses"), ("GET", "/api/v1/statuses/{id}"), ("DELETE", "/api/v1/statuses/{id}"),
    ("GET", "/api/v1/statuses/{id}/context"), ("POST", "/api/v1/statuses/{id}/favourite"),
    ("POST", "/api/v1/statuses/{id}/unfavourite"), ("GET", "/api/v1/statuses/{id}/favourited_by"),
    ("POST", "/api/v1/media"), ("POST", "/api/v2/media"), ("GET", "/api/v1/media/{id}"), ("PUT", "/api/v1/media/{id}"),
    ("GET", "/api/v1/timelines/home"), ("GET", "/api/v1/timelines/tag/{hashtag}"), ("GET", "/api/v1/timelines/public"),
    ("GET", "/api/v1/notifications"), ("GET", "/api/v1/notifications/{id}"), ("GET", "/api/v2/search"),
    ("GET", "/api/v1/markers"), ("POST", "/api/v1/markers"), ("GET", "/api/v1/preferences"),
    ("GET", "/api/v1/custom_emojis"), ("GET", "/api/v1/filters"), ("GET", "/api/v2/filters"), ("GET", "/api/v1/lists"),
    ("GET", "/api/v1/announcements"), ("GET", "/api/v1/followed_tags"), ("GET", "/api/v1/blocks"),
    ("GET", "/api/v1/mutes"), ("GET", "/api/v1/bookmarks"), ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/scheduled_statuses"),
]

# Served, but no JSON entity to check (or checked by its own test).
NOT_ENTITIES: dict[tuple[str, str], str] = {
    ("GET", "/oauth/authorize"): "the login-and-consent HTML page",
    ("POST", "/oauth/authorize"): "the login form's redirect (or the out-of-band page)",
    ("POST", "/oauth/userinfo"): "the same handler as GET",
    ("GET", "/avatars/{avatar_id}/{variant}"): "an image",
    ("GET", "/avatars/original/missing.png"): "an image",
    ("GET", "/headers/original/missing.png"): "an image",
    ("GET", "/health"): "text OK",
    # Not in the pinned cut of the document (cut before these routes were served): a Status like
    # favourite's, checked through Mastodon.py instead.
    ("POST", "/api/v1/statuses/{id}/bookmark"): "a Status (test_mastodon_safety.py, Mastodon.py)",
    ("POST", "/api/v1/statuses/{id}/unbookmark"): "a Status (test_mastodon_safety.py, Mastodon.py)",
    ("PUT", "/api/v1/statuses/{id}"): "a Status (test_mastodon_safety.py, Mastodon.py status_update)",
    ("GET", "/api/v1/statuses/{id}/history"): "a StatusEdit list (test_mastodon_safety.py, Mastodon.py status_history)",
    ("GET", "/api/v1/streaming/health"): "text OK",
    ("GET", "/api/v1/streaming/user"): "server-sent events (test_mastodon_streaming.py)",
    ("GET", "/api/v1/streaming/user/notification"): "server-sent events (test_stream_limits.py)",
    ("GET", "/api/v1/streaming"): "WebSocket (test_mastodon_streaming.py)",
    ("GET", "/.well-known/nodeinfo"): "NodeInfo, not the Mastodon API (checked in the conformance test)",
    ("GET", "/nodeinfo/2.0"): "NodeInfo, not the Mastodon API (checked in the conformance test)",
}
