"""Ray is not open to others: a client without the cluster's token is refused, the job API asks
for it too, and every listener of the head stays on loopback within Raygram's documented ports."""
from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from core.ray_env import LITERAL_LOOPBACK, client_environ
from stack.services import RAY_NODE_PORTS, RAY_PORT_BLOCK

# Joins the cluster as a driver and runs a task on it: what an attacker would do.
CLIENT = """
import sys, ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
print("ran", ray.get(ray.remote(lambda: 6 * 7).options(num_cpus=0).remote(), timeout=60))
"""


def _client(settings, env: dict[str, str], home: Path) -> subprocess.CompletedProcess:
    # A home of its own: no ~/.ray/auth_token of this machine's user is found by accident.
    return subprocess.run([sys.executable, "-c", CLIENT, settings.ray_address], env={**env, "HOME": str(home)},
                          capture_output=True, text=True, timeout=120)


async def test_a_ray_client_without_the_token_is_refused_and_one_with_it_runs(settings, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    # Loopback taken literally, so the refusal below is the token's doing, not an unreachable address.
    no_token = {**base, LITERAL_LOOPBACK: "0"}
    wrong_token = {**no_token, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    right_token = client_environ(settings, base)
    loop = asyncio.get_running_loop()
    refused, wrong, allowed = await asyncio.gather(*(
        loop.run_in_executor(None, _client, settings, env, tmp_path) for env in (no_token, wrong_token, right_token)))

    assert allowed.returncode == 0 and "ran 42" in allowed.stdout, allowed.stderr[-2000:]
    for attempt in (refused, wrong):
        assert attempt.returncode != 0 and "ran" not in attempt.stdout
        assert "Authentication token is missing or incorrect" in attempt.stderr, attempt.stderr[-2000:]


def _job_api(settings, token: str | None) -> int:
    port = settings.ray_port + RAY_NODE_PORTS["--dashboard-agent-listen-port"]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/job_agent/jobs/", method="POST",
                                     data=b'{"entrypoint": "id"}', headers={"Content-Type": "application/json"})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_job_api_that_runs_shell_commands_wants_the_token(settings):
    assert _job_api(settings, None) == 401
    assert _job_api(settings, secrets.token_hex(32)) == 403


def _listening_inodes() -> dict[int, tuple[str, int]]:
    """Listening TCP sockets on this machine: inode -> (local address, port)."""
    found = {}
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":          # TCP_LISTEN
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            address = ipaddress.ip_address(raw)
            if family == 6 and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            found[int(fields[9])] = (str(address), int(hex_port, 16))
    return found


def _head_processes(settings) -> dict[int, str]:
    """Processes of our Ray head: those started for its GCS address (GCS, raylet, Ray Client,
    monitors) and everything below them (the raylet's agents and workers)."""
    markers = (f"--gcs_server_port={settings.ray_port}".encode(), f"127.0.0.1:{settings.ray_port}".encode())
    names, parents, roots = {}, {}, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parents[pid] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        argv = cmdline.split(b"\0")
        names[pid] = argv[0].decode(errors="replace")
        if any(marker in arg for arg in argv for marker in markers):
            roots.add(pid)
    head = set(roots)
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in head} - head
        head |= below
        grew = bool(below)
    return {pid: names[pid] for pid in head}


def _sockets_of(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def test_every_listener_of_the_ray_head_is_on_loopback_within_the_documented_ports(settings):
    listening = _listening_inodes()
    block = range(settings.ray_port, settings.ray_port + RAY_PORT_BLOCK)
    workers = range(settings.ray_min_worker_port, settings.ray_max_worker_port + 1)
    seen: dict[int, tuple[str, str]] = {}
    for pid, name in _head_processes(settings).items():
        for inode in _sockets_of(pid) & listening.keys():
            address, port = listening[inode]
            seen[port] = (name, address)
            assert ipaddress.ip_address(address).is_loopback, f"{name} (pid {pid}) listens on {address}:{port}"
            assert port in block or port in workers, f"{name} (pid {pid}) listens on undocumented port {port}"
    # The head is really there: GCS, raylet, Ray Client and the dashboard agent's job API.
    assert {settings.ray_port, settings.ray_port + 1, settings.ray_port + 3, settings.ray_port + 4} <= seen.keys(), seen
