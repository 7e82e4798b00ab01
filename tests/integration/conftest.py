"""The real stack, once per run, and a gateway app per test.

Isolation without restarts: services are shared, so each test builds its own small world with
unique names (``unique``) instead of wiping stores between tests. That also keeps a developer's
running `make up` data intact while the suite runs.
"""
from __future__ import annotations

import dataclasses
import secrets
from typing import Iterator

import pytest

from actors.shards import stop_named_actors
from core.config import Settings, load_settings
from gateway.app import create_app
from stack import manager, supervisor
from stack.services import ALL, ensure_secrets

from .world import World


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    settings = ensure_secrets(load_settings())
    # Tests stop and kill services on purpose: a developer's supervisor (left by `make up`) would
    # restart them under the test's feet. Paused for the run, started again after it.
    supervised = supervisor.stop(settings)
    manager.up(settings, gateway=False)
    # The test client is a trusted proxy, so each test can speak for its own client address
    # (X-Forwarded-For) and per-address login limits of one test never reach another. A test
    # builds its world from one address, often with more accounts than a person would sign up in
    # an hour; the sign-up limit itself is tested with its own settings. Mastodon clients (Mastodon.py,
    # toot, masto.js) all log in from 127.0.0.1: the token-issue limit is tested with its own settings too.
    yield dataclasses.replace(settings, trusted_proxies=("127.0.0.1",), signups_per_address=10_000,
                              mastodon_tokens_per_address=10_000)
    if supervised:
        supervisor.start(settings, list(ALL))


@pytest.fixture
def unique() -> str:
    """A short random token for names that must not collide across tests or runs."""
    return secrets.token_hex(4)


@pytest.fixture
async def app(settings):
    return create_app(settings)


@pytest.fixture
async def client(aiohttp_client, app, unique):
    return await aiohttp_client(app, headers={"X-Forwarded-For": f"test-client-{unique}"})


@pytest.fixture
def world(client, unique) -> World:
    return World(client, unique)


@pytest.fixture
async def isolated_client(aiohttp_client, settings, unique):
    """A client for an app with changed settings and feed-shard actors of its own (actors take
    their settings at creation, so changed feed settings need their own Ray namespace)."""
    namespaces = []

    async def make(**overrides):
        namespace = f"raygram-test-{unique}-{len(namespaces)}"
        namespaces.append(namespace)
        app = create_app(dataclasses.replace(settings, ray_namespace=namespace, **overrides))
        return await aiohttp_client(app, headers={"X-Forwarded-For": f"test-client-{unique}"})

    yield make
    for namespace in namespaces:
        stop_named_actors(namespace)
