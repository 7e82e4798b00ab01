from pathlib import Path

import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

from core.config import load_settings
from stack.services import ray_head_argv, ray_node_port_flags

CONFIG = Path(__file__).resolve().parents[2] / "ray_cluster.yaml"


def test_ray_cluster_yaml_passes_the_cluster_launchers_schema():
    config = prepare_config(yaml.safe_load(CONFIG.read_text()))
    validate_config(config)
    assert config["provider"]["type"] == "local"


def test_the_head_starts_ray_on_raygrams_port_and_then_the_stack():
    config = yaml.safe_load(CONFIG.read_text())
    head = " ".join(config["head_start_ray_commands"])
    assert "--port=6380" in head and "make up" in head
    assert all("--address=$RAY_HEAD_IP:6380" in c for c in config["worker_start_ray_commands"] if "start" in c)


def test_every_node_gets_the_token_and_starts_with_it_on_raygrams_pinned_ports():
    config = yaml.safe_load(CONFIG.read_text())
    mounted = set(config["file_mounts"].values())
    assert {"./var/ray-token", "./var/secrets.json"} <= mounted
    assert any("install -m 600" in c and "ray-token" in c for c in config["setup_commands"])
    defaults = load_settings({"RAYGRAM_VAR_DIR": "/nonexistent"})
    node_flags = ray_node_port_flags(defaults.ray_port, defaults.ray_min_worker_port, defaults.ray_max_worker_port)
    starts = [c for c in config["head_start_ray_commands"] + config["worker_start_ray_commands"] if "ray start" in c]
    assert len(starts) == 2
    for command in starts:
        assert "RAY_AUTH_MODE=token" in command and "RAY_AUTH_TOKEN_PATH=$HOME/raygram/var/ray-token" in command
        assert all(flag in command.split() for flag in node_flags), command
    head = next(c for c in starts if "--head" in c)
    assert all(a in head.split() for a in ray_head_argv(defaults) if a.startswith("--port") or "client" in a)
