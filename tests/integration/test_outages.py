"""Readiness follows the backing services: down → 503 naming it; back → 200, same gateway."""
from __future__ import annotations

import asyncio

import pytest

from stack import manager

# MinIO serves S3; the stack calls the service "minio", the gateway's probe calls it "s3".
CASES = [("redis", "redis"), ("minio", "s3"), ("elasticsearch", "elasticsearch"), ("neo4j", "neo4j")]


async def _poll_readyz(client, want_status: int, timeout: float = 30.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        resp = await client.get("/readyz")
        body = await resp.json()
        if resp.status == want_status or asyncio.get_running_loop().time() > deadline:
            assert resp.status == want_status, body
            return {"body": body, "headers": resp.headers}
        await asyncio.sleep(0.5)


@pytest.mark.parametrize("service,probe", CASES)
async def test_readyz_names_a_stopped_service_and_recovers_when_it_returns(client, settings, service, probe):
    assert (await client.get("/readyz")).status == 200
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, manager.down, settings, [service])
    try:
        down = await _poll_readyz(client, 503, timeout=15)
        assert probe in down["body"]["down"]
        assert down["body"]["services"][probe]["status"] == "error"
        assert down["headers"]["Retry-After"]
    finally:
        await loop.run_in_executor(None, lambda: manager.up(settings, [service]))
    up = await _poll_readyz(client, 200, timeout=60)
    assert up["body"]["down"] == []
