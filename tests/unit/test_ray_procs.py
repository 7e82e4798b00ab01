"""Which processes a Ray head start clears away: Ray's own, of this stack's temp dir only."""
from __future__ import annotations

from stack.ray_procs import is_ray_process, is_stack_ray_process

TEMP = "/srv/a/var/ray"
PKG = "/srv/a/.venv/lib/python3.11/site-packages/ray"


def test_rays_own_processes():
    assert is_ray_process([f"{PKG}/core/src/ray/gcs/gcs_server", "--log_dir=x"])
    assert is_ray_process([f"{PKG}/core/src/ray/raylet/raylet"])
    assert is_ray_process(["ray::FeedShard"]) and is_ray_process(["ray::IDLE"])
    assert is_ray_process(["/srv/a/.venv/bin/python", "-u", f"{PKG}/_private/log_monitor.py"])
    assert is_ray_process(["/srv/a/.venv/bin/python", "-m", "ray.util.client.server", "--port=6383"])
    # Drivers import Ray but are not Ray's: never killed.
    assert not is_ray_process(["/srv/a/.venv/bin/python", "/srv/a/.venv/bin/raygram", "serve"])
    assert not is_ray_process(["/srv/a/.venv/bin/python", "-m", "pytest", "tests/"])
    assert not is_ray_process([])


def test_only_this_stacks_temp_dir():
    gcs = [f"{PKG}/core/src/ray/gcs/gcs_server", f"--log_dir={TEMP}/session_1/logs"]
    assert is_stack_ray_process(gcs, [], TEMP)
    assert is_stack_ray_process(["python", f"{PKG}/dashboard/dashboard.py", f"--temp-dir={TEMP}"], [], TEMP)
    assert not is_stack_ray_process(gcs, [], "/srv/b/var/ray")
    assert not is_stack_ray_process(gcs, [], TEMP[:-1])                    # /srv/a/var/ra is not a prefix match
    assert not is_stack_ray_process([f"{PKG}/raylet", "--temp_dir=/srv/a/var/ray2"], [], TEMP)
    # A worker has no paths on its command line (its title is rewritten); its open logs tell.
    worker_fds = ["/dev/null", f"{TEMP}/session_1/logs/worker-abc-01000000-42.out", "socket:[1]"]
    assert is_stack_ray_process(["ray::FeedShard"], worker_fds, TEMP)
    assert not is_stack_ray_process(["ray::FeedShard"], ["/srv/b/var/ray/session_1/logs/w.out"], TEMP)
    # A driver holding this stack's logs open is still not Ray's own.
    assert not is_stack_ray_process(["python", "-m", "pytest"], worker_fds, TEMP)
