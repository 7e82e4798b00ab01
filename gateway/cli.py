"""The `raygram` command."""
from __future__ import annotations

import argparse
import json
import sys

from core.config import load_settings


def _stack(args: argparse.Namespace) -> int:
    from stack import manager, supervisor
    from stack.proc import StackError
    from stack.services import ALL

    settings = load_settings()
    try:
        if args.action == "up":
            with supervisor.stack_lock(settings):
                rows = manager.up(settings, args.services or None, gateway=not args.no_gateway)
            for row in rows:
                print(row.line())
            if not args.services and not args.no_gateway:
                # The whole stack is up: from now on it is kept up.
                pid = supervisor.start(settings, list(ALL), args.interval)
                print(f"supervisor     pid {pid} (restarts a service that dies; `raygram stack down` stops it)")
                print(f"Raygram is serving at {settings.public_url}")
                if settings.mastodon_port:
                    print(f"Mastodon apps: type http://{settings.mastodon_host}:{settings.mastodon_port} as the server")
        elif args.action == "down":
            # First, or it would restart what is being stopped.
            if supervisor.stop(settings):
                print("[stack] supervisor: stopped (`raygram stack up` starts it again)")
            with supervisor.stack_lock(settings):
                manager.down(settings, args.services or None)
        elif args.action == "supervise":
            supervisor.run(settings, args.services or list(ALL), args.interval)
        elif args.action == "secrets":
            from stack.services import ensure_secrets
            ensure_secrets(settings)
            print(f"{settings.secrets_file}\n{settings.ray_token_file}")
        elif args.action == "status":
            rows = manager.status(settings, args.services or None)
            for row in rows:
                print(row.line())
            pid = supervisor.running(settings)
            print(f"{'supervisor':<14} {'':<11} pid {str(pid or '-'):<8} {'ok' if pid else 'not running'}")
            return 0 if all(r.healthy for r in rows) else 3
        elif args.action == "logs":
            if len(args.services) != 1:
                print("usage: raygram stack logs SERVICE", file=sys.stderr)
                return 2
            print(manager.logs(settings, args.services[0], args.lines))
    except StackError as exc:
        print(f"[stack] error: {exc}", file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from gateway.server import serve

    serve(load_settings())
    return 0


def _shards(args: argparse.Namespace) -> int:
    import asyncio

    import redis.asyncio as aioredis

    from actors import scaling

    async def run() -> dict:
        settings = load_settings()
        redis = aioredis.from_url(settings.redis_url)
        try:
            if args.action == "scale":
                return await scaling.scale(settings, redis, args.count)
            return await scaling.status(settings, redis)
        finally:
            await redis.aclose()

    if args.action == "scale" and args.count is None:
        print("usage: raygram shards scale N", file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(run()), indent=2))
    return 0


def _search(args: argparse.Namespace) -> int:
    import asyncio

    from core.redis_client import open_redis
    from graph.driver import open_driver
    from search.client import open_client
    from search.indexes import ensure_indexes, index_specs, indexes_behind
    from search.outbox import Outbox
    from search.reindex import ReindexRunning, reindex

    unknown = set(args.kinds) - {"posts", "users"}
    if unknown:
        print(f"unknown index kinds: {', '.join(sorted(unknown))} (posts, users)", file=sys.stderr)
        return 2

    async def run() -> int:
        settings = load_settings()
        es, redis, driver = open_client(settings), open_redis(settings.redis_url), open_driver(settings)
        try:
            if args.action == "reindex":
                await ensure_indexes(es, settings.es_index_prefix)
                try:
                    reports = await reindex(es, redis, driver, settings.es_index_prefix,
                                            kinds=tuple(args.kinds) or None, progress=print)
                except ReindexRunning:
                    print("another reindex is running; try again when it has finished", file=sys.stderr)
                    return 1
                print(json.dumps([{"alias": r.alias, "index": r.index, "replaced": list(r.previous),
                                   "copied": r.copied, "replayed": r.replayed, "seconds": round(r.seconds, 1)}
                                  for r in reports], indent=2))
            else:
                state = {"outbox": await Outbox(redis, settings.es_index_prefix).state()}
                for spec in index_specs(settings.es_index_prefix).values():
                    behind = await indexes_behind(es, spec.alias)
                    count = (await es.count(index=spec.alias))["count"] if behind else 0
                    state[spec.alias] = {"indexes": behind, "documents": count, "mapping_version": spec.version}
                print(json.dumps(state, indent=2))
            return 0
        finally:
            await es.close()
            await redis.aclose()
            await driver.close()

    return asyncio.run(run())


def _ray(args: argparse.Namespace) -> int:
    """Ray's own CLI as a client of this cluster (its token, its address)."""
    import os
    from pathlib import Path

    from core.ray_env import client_environ

    settings = load_settings()
    env = {**client_environ(settings), "RAY_ADDRESS": settings.ray_address}
    ray_bin = str(Path(sys.executable).parent / "ray")
    os.execve(ray_bin, [ray_bin, *args.args], env)


def _config(args: argparse.Namespace) -> int:
    print(json.dumps(load_settings().redacted(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    from stack.supervisor import INTERVAL_S

    parser = argparse.ArgumentParser(prog="raygram", description="Raygram photo-sharing backend")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the gateway in the foreground")
    p.set_defaults(func=_serve)

    p = sub.add_parser("stack", help="the local service stack (Redis, Neo4j, Elasticsearch, MinIO, Ray, gateway)")
    p.add_argument("action", choices=["up", "down", "status", "logs", "secrets", "supervise"],
                   help="secrets: generate var/secrets.json and var/ray-token if missing, print their paths; "
                        "supervise: restart the services that die (what `up` leaves running)")
    p.add_argument("services", nargs="*", help="limit to these services (logs: exactly one)")
    p.add_argument("--no-gateway", action="store_true", help="up: start the backing services only")
    p.add_argument("-n", "--lines", type=int, default=60, help="logs: how many lines")
    p.add_argument("--interval", type=float, default=INTERVAL_S, help="supervise: seconds between health rounds")
    p.set_defaults(func=_stack)

    p = sub.add_parser("shards", help="the feed-shard actors: status, or scale to N while serving")
    p.add_argument("action", choices=["status", "scale"])
    p.add_argument("count", nargs="?", type=int)
    p.set_defaults(func=_shards)

    p = sub.add_parser("search", help="the search indexes: status, or reindex from Neo4j with no downtime")
    p.add_argument("action", choices=["status", "reindex"])
    p.add_argument("kinds", nargs="*", help="reindex: only these of posts, users (default both)")
    p.set_defaults(func=_search)

    p = sub.add_parser("ray", help="Ray's CLI against this cluster, with its token (e.g. `raygram ray status`)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_ray)

    p = sub.add_parser("config", help="print the effective configuration (secrets masked)")
    p.set_defaults(func=_config)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
