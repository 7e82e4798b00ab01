"""The operational surface of the gateway: liveness, readiness, metrics, OpenAPI, error shape."""
from __future__ import annotations

BACKING = {"redis", "neo4j", "elasticsearch", "s3", "ray", "media"}


async def test_healthz_says_the_process_serves(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json()) == {"status": "ok"}


async def test_readyz_lists_every_backing_service_as_ok(client):
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["ready"] is True and body["down"] == []
    assert set(body["services"]) == BACKING
    assert all(state["status"] == "ok" for state in body["services"].values())


async def test_metrics_count_requests_per_route_in_prometheus_format(client):
    await client.get("/healthz")
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    assert 'raygram_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "raygram_http_request_duration_seconds_bucket" in text
    for gauge in ("raygram_search_indexed_documents", "raygram_search_index_retries", "raygram_search_outbox_backlog"):
        assert f"\n{gauge} " in text


async def test_openapi_document_describes_the_served_routes(client):
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    spec = await resp.json()
    assert spec["openapi"].startswith("3.")
    assert {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"} <= set(spec["paths"])
    assert "Error" in spec["components"]["schemas"]


async def test_unknown_path_gets_the_contract_error_body(client):
    resp = await client.get("/api/v1/no-such-thing")
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


async def test_wrong_method_gets_the_contract_error_body(client):
    resp = await client.post("/healthz")
    assert resp.status == 405
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_a_second_app_starts_against_the_same_stack(settings, aiohttp_client):
    """Start-up work (constraints, indexes, bucket, shard actors) is idempotent."""
    from gateway.app import create_app

    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    assert (await first.get("/readyz")).status == 200
    assert (await second.get("/readyz")).status == 200


async def test_the_mastodon_address_held_elsewhere_keeps_readyz_red_until_the_gateway_binds_it(
        settings, aiohttp_client):
    """A gateway replacing another may find the Mastodon port still held: it keeps trying, and
    /readyz names the listener until it serves, then turns green without a restart."""
    import asyncio
    import dataclasses
    import socket
    import time

    import aiohttp

    from gateway.app import create_app
    from gateway.mastodon.app import listener_ctx

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    app = create_app(dataclasses.replace(settings, mastodon_port=port))
    app.cleanup_ctx.append(listener_ctx)
    client = await aiohttp_client(app)
    try:
        resp = await client.get("/readyz")
        body = await resp.json()
        assert resp.status == 503 and body["down"] == ["mastodon"]
        assert str(port) in body["services"]["mastodon"]["error"]
    finally:
        holder.close()
    deadline = time.monotonic() + 30
    while (resp := await client.get("/readyz")).status != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert resp.status == 200, await resp.json()
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/health") as health:
        assert (health.status, await health.text()) == (200, "OK")
        assert "X-RateLimit-Remaining" not in health.headers      # polled: never spends a budget
