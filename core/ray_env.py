"""What makes a process a client of this Raygram's Ray cluster: its token and its address.

Every Ray process of the cluster (head, worker nodes) and every client (the gateway's driver, the
CLI, tests, benchmarks) runs with ``client_env``: Ray's token authentication on, the token read
from ``settings.ray_token_file``. The gateway, the CLI and the tests call ``become_client`` before
``ray.init``; anything started as a subprocess gets ``client_environ``.
"""
from __future__ import annotations

import os
import sys
from typing import Mapping

from .config import Settings

# Ray turns a loopback address it is given (``--node-ip-address=127.0.0.1``, ``ray.init(address=
# "127.0.0.1:6380")``) into the host's network address, so a head told to stay on loopback listens
# on the network anyway and a client cannot reach a head that stays on loopback. Setting this
# variable to 0 (it exists to gate clusters on macOS and Windows) makes Ray take loopback at its
# word. A process that joins a cluster as a *node* (`ray start --address`) must not have it: Ray
# refuses to start a second node then (see node_environ).
LITERAL_LOOPBACK = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# A token in the environment wins over the token file: one inherited from elsewhere must not.
TOKEN_VALUE_VAR = "RAY_AUTH_TOKEN"


def node_env(settings: Settings) -> dict[str, str]:
    """The variables every Ray node of this cluster (head or worker) starts with."""
    return {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(settings.ray_token_file),
        "RAY_USAGE_STATS_ENABLED": "0",
    }


def client_env(settings: Settings) -> dict[str, str]:
    """The variables that make a process a Ray client (driver, CLI) of this cluster."""
    return {**node_env(settings), LITERAL_LOOPBACK: "0"}


def _environ(extra: dict[str, str], base: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k not in (TOKEN_VALUE_VAR, LITERAL_LOOPBACK)}
    env.update(extra)
    return env


def client_environ(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A whole environment (``base``, default ours) for a subprocess that is a Ray client."""
    return _environ(client_env(settings), base)


def node_environ(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A whole environment for a subprocess that starts a Ray node joining this cluster."""
    return _environ(node_env(settings), base)


def become_client(settings: Settings) -> None:
    """Make this process a client of the cluster; call before ``ray.init``. Ray reads these
    variables when it is imported, so an already imported Ray is told again."""
    os.environ.pop(TOKEN_VALUE_VAR, None)
    os.environ.update(client_env(settings))
    if "ray" not in sys.modules:
        return
    from ray._private import ray_constants
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")           # what Ray itself does after switching RAY_AUTH_MODE on
    AuthenticationTokenLoader.instance().reset_cache()
    ray_constants.ENABLE_RAY_CLUSTER = False
