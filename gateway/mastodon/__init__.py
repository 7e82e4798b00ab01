"""The Mastodon-compatible client API: its own aiohttp application on its own listener, beside the
v1 contract, sharing the same use cases, stores, fan-out and event log (see README, "Use it with
Mastodon apps")."""
