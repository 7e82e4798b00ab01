"""Hot reads under concurrent load, against this machine's HTTP floor, in the same run.

    flock /tmp/raygram-tests.lock .venv/bin/python -m bench.read_load [--seconds 10] [--connections 32]

Starts a gateway of its own (``raygram serve``, as `make up` runs it, with its worker processes)
and sets up a small world through the API: AUTHORS authors with POSTS_EACH photo posts each, and
READERS readers who follow FOLLOWS authors each. Then ``wrk`` (a load generator in its own
process, C, so the client is not the bottleneck) drives, for each hot read, the readers' tokens
round-robin at ``--connections`` concurrent requests:

- the home feed, ranked and recent (``GET /api/v1/feed?limit=20``),
- a post page (``GET /api/v1/posts/{id}``),
- a profile's posts (``GET /api/v1/users/{name}/posts?limit=20``),
- an author's notifications (``GET /api/v1/notifications``),
- the Mastodon home timeline (``GET /api/v1/timelines/home?limit=20``).

The floor is a bare aiohttp server (bench/floor_server.py) answering the very bytes Raygram
answered for each (path, token), token checked in a dict, driven by the same wrk in the same run.
Printed per read: req/s, p50, p99, and the ratio of Raygram's req/s to the floor's.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.common import post_photo
from core.config import load_settings
from stack.gateway_process import GatewayProcess, free_port
from stack.proc import http_status, terminate, wait_until

AUTHORS, POSTS_EACH, READERS, FOLLOWS, PAGE = 20, 5, 50, 10, 20
PASSWORD = "bench password"


@dataclass
class World:
    v1_tokens: list[str]
    mastodon_tokens: list[str]
    post_ids: list[str]
    authors: list[str]
    author_tokens: list[str]


async def _world(v1: str, mastodon: str) -> World:
    tag = secrets.token_hex(3)
    # The bench's gateway trusts the loopback proxy, so this run's set-up speaks for an address of
    # its own: it spends no sign-up or app budget of 127.0.0.1 that tests on this host rely on.
    address = {"X-Forwarded-For": f"bench-{tag}"}
    async with aiohttp.ClientSession(v1, headers=address) as http:
        async def signup(name: str) -> dict:
            async with http.post("/api/v1/accounts", json={"username": f"{name}_{tag}", "password": PASSWORD}) as r:
                assert r.status == 201, await r.text()
                return await r.json()

        authors = [await signup(f"author{a}") for a in range(AUTHORS)]
        post_ids = []
        for a, author in enumerate(authors):
            for i in range(POSTS_EACH):
                post_ids.append((await post_photo(http, author["token"], f"bench {a}.{i} #bench{tag} #photo"))["id"])
        readers = [await signup(f"reader{r}") for r in range(READERS)]
        rng = random.Random(7)
        for r, reader in enumerate(readers):
            auth = {"Authorization": f"Bearer {reader['token']}"}
            for k in range(FOLLOWS):
                async with http.put(f"/api/v1/users/{authors[(r + k) % AUTHORS]['user']['username']}/follow",
                                    headers=auth) as resp:
                    assert resp.status in (200, 201, 204), await resp.text()
            for post_id in rng.sample(post_ids, 3):           # some likes: liked_by_me and counts vary
                async with http.put(f"/api/v1/posts/{post_id}/like", headers=auth) as resp:
                    assert resp.status in (200, 201, 204), await resp.text()
    async with aiohttp.ClientSession(mastodon, headers=address) as http:
        async with http.post("/api/v1/apps", data={"client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                                   "scopes": "read"}) as r:
            app = await r.json()
        mastodon_tokens = []
        for reader in readers:
            async with http.post("/oauth/token", data={
                    "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
                    "username": reader["user"]["username"], "password": PASSWORD, "scope": "read"}) as r:
                assert r.status == 200, await r.text()
                mastodon_tokens.append((await r.json())["access_token"])
    return World([r["token"] for r in readers], mastodon_tokens, post_ids, [a["user"]["username"] for a in authors],
                 [a["token"] for a in authors])


def _targets(world: World, gateway: str, mastodon: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """name -> (base URL, [(path, token)]) driven round-robin."""
    rng = random.Random(11)
    readers = list(range(len(world.v1_tokens)))
    return {
        "feed ranked": (gateway, [(f"/api/v1/feed?limit={PAGE}", world.v1_tokens[r]) for r in readers]),
        "feed recent": (gateway, [(f"/api/v1/feed?limit={PAGE}&order=recent", world.v1_tokens[r]) for r in readers]),
        "post page": (gateway, [(f"/api/v1/posts/{rng.choice(world.post_ids)}", world.v1_tokens[r]) for r in readers]),
        "profile posts": (gateway, [(f"/api/v1/users/{world.authors[r % len(world.authors)]}/posts?limit={PAGE}",
                                     world.v1_tokens[r]) for r in readers]),
        # Authors are the ones with notifications (followed, liked).
        "notifications": (gateway, [("/api/v1/notifications?limit=20", t) for t in world.author_tokens]),
        "mastodon home": (mastodon, [(f"/api/v1/timelines/home?limit={PAGE}", world.mastodon_tokens[r])
                                     for r in readers]),
    }


async def _capture(targets) -> dict[str, bytes]:
    """What Raygram answers for every (base, path, token): the floor serves these very bytes."""
    answers = {}
    async with aiohttp.ClientSession() as http:
        for base, pairs in targets.values():
            for path, token in pairs:
                async with http.get(base + path, headers={"Authorization": f"Bearer {token}"}) as r:
                    assert r.status == 200, (path, r.status, await r.text())
                    answers[f"{path}\n{token}"] = await r.read()
    return answers


_LUA = """
local pairs_ = {}
local n = 0
init = function(args)
  local f = io.open(args[1])
  for line in f:lines() do
    local path, token = line:match("^(%S+) (%S+)$")
    n = n + 1
    pairs_[n] = wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
  end
  f:close()
  counter = math.random(n)
end
request = function()
  counter = counter % n + 1
  return pairs_[counter]
end
"""


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(base: str, pairs: list[tuple[str, str]], seconds: int, connections: int, workdir: Path) -> Load:
    listing = workdir / "pairs.txt"
    listing.write_text("".join(f"{p} {t}\n" for p, t in pairs))
    script = workdir / "pairs.lua"
    script.write_text(_LUA)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                          base, "--", str(listing)], capture_output=True, text=True, check=True).stdout
    if "Latency Distribution" not in out:
        raise RuntimeError(f"wrk said:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(int(g) for g in errs.groups()) if errs else 0)
    return Load(rps, p50, p99, errors)


def _cpu_by_process() -> dict[str, float]:
    """CPU seconds used so far by every process on the host, by command name (Ray's C++ threads and
    Redis included, which a Python profiler does not see)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        name = _process_kind(stat[stat.index("(") + 1:stat.rindex(")")], cmdline)
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _process_kind(comm: str, cmdline: str) -> str:
    if "raygram serve" in cmdline or "spawn_main" in cmdline and "multiprocessing" in cmdline:
        return "gateway"
    for kind in ("floor_server", "media.transcode_child", "pytest"):
        if kind in cmdline:
            return kind
    return comm


def _cpu_line(before: dict[str, float], after: dict[str, float], requests: float) -> str:
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    top = sorted(((v, k) for k, v in used.items() if v > 0.05), reverse=True)[:7]
    return "    CPU ms/request: " + ", ".join(f"{k} {1000 * v / requests:.2f}" for v, k in top)


def _ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _profile(pid: int, name: str, seconds: int, out_dir: str) -> subprocess.Popen:
    """py-spy over the gateway (and its worker processes) while the load runs: collapsed stacks."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)          # py-spy writes nothing into a missing folder
    out = Path(out_dir) / (name.replace(" ", "_") + ".txt")
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([spy, "record", "-p", str(pid), "--subprocesses", "-d", str(max(1, seconds - 1)),
                             "-f", "raw", "-o", str(out), "-r", "200"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main(seconds: int, connections: int, workers: int, floor_workers: int, only: list[str],
               profile_dir: str | None) -> None:
    _ensure_wrk()
    settings = load_settings()
    port, mastodon_port, floor_port = free_port(), free_port(), free_port()
    env = {"RAYGRAM_MASTODON_PORT": str(mastodon_port), "RAYGRAM_SIGNUPS_PER_ADDRESS": "100000",
           "RAYGRAM_MASTODON_REQUESTS_PER_WINDOW": "100000000",
           "RAYGRAM_MASTODON_TOKENS_PER_ADDRESS": "100000", "RAYGRAM_GATEWAY_WORKERS": str(workers),
           "RAYGRAM_TRUSTED_PROXIES": "127.0.0.1"}
    with GatewayProcess(settings, port, env=env) as gw, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        mastodon = f"http://127.0.0.1:{mastodon_port}"
        world = await _world(gw.url, mastodon)
        targets = _targets(world, gw.url, mastodon)
        answers = await _capture(targets)
        sizes = {name: len(answers[f"{pairs[0][0]}\n{pairs[0][1]}"]) for name, (_, pairs) in targets.items()}
        (workdir / "answers.json").write_text(json.dumps({k: v.decode() for k, v in answers.items()}))
        floor = subprocess.Popen([sys.executable, "-m", "bench.floor_server", str(floor_port),
                                  str(workdir / "answers.json"), str(floor_workers)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)       # terminate() signals its whole group
        try:
            floor_url = f"http://127.0.0.1:{floor_port}"
            assert wait_until(lambda: http_status(floor_url + "/health") == 200, timeout=30)
            print(f"world: {READERS} readers following {FOLLOWS} of {AUTHORS} authors x {POSTS_EACH} photo posts; "
                  f"gateway workers {workers}, floor workers {floor_workers}; wrk -c{connections} {seconds}s each")
            print(f"{'read':<16}{'bytes':>7}  {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'err':>5}   "
                  f"{'floor req/s':>11} {'p50':>6} {'p99':>6}   ratio")
            for name, (base, pairs) in targets.items():
                if only and name not in only:
                    continue
                _wrk(base, pairs, 2, connections, workdir)                 # warm-up
                spy = _profile(gw.proc.pid, name, seconds, profile_dir) if profile_dir else None
                cpu_before = _cpu_by_process()
                ours = _wrk(base, pairs, seconds, connections, workdir)
                cpu_after = _cpu_by_process()
                if spy is not None:
                    spy.wait()
                bare = _wrk(floor_url, pairs, seconds, connections, workdir)
                print(f"{name:<16}{sizes[name]:>7}  {ours.rps:>8.1f} {ours.p50_ms:>8.1f} {ours.p99_ms:>8.1f} "
                      f"{ours.errors:>5}   {bare.rps:>11.1f} {bare.p50_ms:>6.1f} {bare.p99_ms:>6.1f}   "
                      f"{ours.rps / bare.rps:.3f}x", flush=True)
                print(_cpu_line(cpu_before, cpu_after, ours.rps * seconds), flush=True)
        finally:
            terminate(floor.pid, timeout=5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=0, help="gateway worker processes (0: one per core)")
    parser.add_argument("--floor-workers", type=int, default=1, help="processes of the bare aiohttp floor")
    parser.add_argument("--only", action="append", default=[], help="run only this read (repeatable)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the gateway during each read, into DIR")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.connections, args.workers, args.floor_workers, args.only, args.profile))
