"""The feed across a two-node Ray cluster (a second node started on this machine)."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import ray

from actors.shards import connect, stop_named_actors
from core.ray_env import node_environ
from gateway.app import create_app
from gateway.keys import SHARDS
from stack.services import RAY_PORT_BLOCK, is_loopback, ray_node_port_flags
from tests import images

from .test_feed import feed_ids
from .world import World


def _alive_nodes() -> int:
    alive = sum(1 for n in ray.nodes() if n["Alive"])
    # A node counts once the scheduler sees its resources, not merely once it registered.
    if alive == 2 and "raygram_test_node2" not in ray.available_resources():
        return 1
    return alive


def _connect(settings) -> None:
    connect(settings)   # never let ray.nodes() auto-start a local cluster


async def _wait_nodes(count: int, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(int(timeout * 2)):
        if await loop.run_in_executor(None, _alive_nodes) == count:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"expected {count} alive Ray nodes")


def _node2_argv(settings) -> list[str]:
    """A second node on this machine, with the cluster's token and ports of its own (the block
    after the head's, workers after the head's range)."""
    host, port = settings.ray_address.rsplit(":", 1)
    # Ray swaps a loopback address for the host's network address when a node joins, and a head
    # kept on loopback is not there; the IPv4-mapped spelling of loopback is taken as it is. (This
    # node then listens on all interfaces while it lives; the token guards it.)
    address = f"[::ffff:{host}]:{port}" if is_loopback(host) else settings.ray_address
    base, first_worker = settings.ray_port + RAY_PORT_BLOCK, settings.ray_max_worker_port + 1
    return [str(Path(sys.executable).parent / "ray"), "start", f"--address={address}", "--num-cpus=1",
            "--disable-usage-stats", "--resources=" + json.dumps({"raygram_test_node2": 1}), "--block",
            *ray_node_port_flags(base, first_worker, first_worker + 99)]


async def test_shards_spread_over_two_nodes_and_survive_losing_one(aiohttp_client, settings, unique):
    node2 = subprocess.Popen(_node2_argv(settings), env=node_environ(settings), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    namespaces = []
    try:
        await asyncio.get_running_loop().run_in_executor(None, _connect, settings)
        await _wait_nodes(2)
        # SPREAD is best effort while a node is joining: give placement a few fresh tries.
        for attempt in range(3):
            namespaces.append(f"raygram-test-two-nodes-{unique}-{attempt}")
            app = create_app(dataclasses.replace(settings, ray_namespace=namespaces[-1]))
            client = await aiohttp_client(app, headers={"X-Forwarded-For": f"test-client-{unique}"})
            nodes = {(await h.ping.remote())["node"] for h in app[SHARDS].handles}
            if len(nodes) == 2:
                break
            await asyncio.sleep(2)
        assert len(nodes) == 2, "shard actors are spread over both nodes"

        world = World(client, unique)
        author = await world.signup("author")
        readers = [await world.signup(f"r{i}") for i in range(8)]
        for reader in readers:
            await world.follow(reader, author)
            await feed_ids(world, reader)
        post = await world.post(author, [images.jpeg(16, 16)])
        for reader in readers:
            assert await feed_ids(world, reader) == [post["id"]]

        # Node 2 goes away: its shards restart on the head and rebuild their readers on demand.
        node2.terminate()
        node2.wait(timeout=60)
        await _wait_nodes(1)
        for reader in readers:
            for _ in range(60):
                try:
                    ids = await feed_ids(world, reader)
                    break
                except AssertionError:       # 503 while Ray restarts the actor
                    await asyncio.sleep(1)
            assert ids == [post["id"]]
    finally:
        if node2.poll() is None:
            node2.terminate()
            node2.wait(timeout=60)
        for namespace in namespaces:
            stop_named_actors(namespace)
