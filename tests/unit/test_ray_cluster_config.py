from pathlib import Path

import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

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
