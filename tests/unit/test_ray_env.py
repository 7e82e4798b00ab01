"""How processes become Ray clients or nodes of this cluster, and how the head is started."""
import pickle

from actors.shards import creation_args
from core.config import load_settings
from core.ray_env import LITERAL_LOOPBACK, client_environ, node_environ
from stack.services import (RAY_HEAD_ENV_PORTS, RAY_HEAD_PORTS, RAY_NODE_PORTS, RAY_PORT_BLOCK, ray_head_argv,
                            ray_head_env, ray_node_port_flags)


def _settings(tmp_path, **env):
    return load_settings({"RAYGRAM_VAR_DIR": str(tmp_path), **env})


def test_a_client_presents_the_token_file_and_never_an_inherited_token(tmp_path):
    s = _settings(tmp_path)
    env = client_environ(s, {"RAY_AUTH_TOKEN": "someone-elses", "PATH": "/bin"})
    assert env["RAY_AUTH_MODE"] == "token"
    assert env["RAY_AUTH_TOKEN_PATH"] == str(tmp_path / "ray-token")
    assert "RAY_AUTH_TOKEN" not in env and env["PATH"] == "/bin"
    assert env[LITERAL_LOOPBACK] == "0"


def test_a_joining_node_has_the_token_but_not_the_loopback_switch(tmp_path):
    # Ray refuses to start a second node while the switch says 0.
    env = node_environ(_settings(tmp_path), {LITERAL_LOOPBACK: "0"})
    assert env["RAY_AUTH_MODE"] == "token" and LITERAL_LOOPBACK not in env


def test_the_head_has_token_auth_and_every_port_pinned_within_its_block(tmp_path):
    s = _settings(tmp_path, RAYGRAM_RAY_PORT="7100")
    argv, env = ray_head_argv(s), ray_head_env(s)
    assert env["RAY_AUTH_MODE"] == "token" and env["RAY_AUTH_TOKEN_PATH"] == str(s.ray_token_file)
    flags = dict(a.split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    ports = [int(flags[f]) for f in {**RAY_HEAD_PORTS, **RAY_NODE_PORTS}] + \
        [int(env[v]) for v in RAY_HEAD_ENV_PORTS]
    assert sorted(ports) == list(range(7100, 7100 + RAY_PORT_BLOCK))
    assert (flags["--min-worker-port"], flags["--max-worker-port"]) == ("10100", "10599")
    assert flags["--node-ip-address"] == "127.0.0.1" and env[LITERAL_LOOPBACK] == "0"


def test_a_head_on_a_network_address_lets_ray_use_it(tmp_path):
    env = ray_head_env(_settings(tmp_path, RAYGRAM_RAY_NODE_IP="10.0.0.5"))
    assert env[LITERAL_LOOPBACK] == "1"


def test_node_port_flags_follow_their_base():
    flags = ray_node_port_flags(20000, 21000, 21099)
    assert "--node-manager-port=20001" in flags and "--max-worker-port=21099" in flags


def test_a_shard_actor_is_created_without_any_secret(tmp_path):
    (tmp_path / "secrets.json").write_text('{"neo4j_password": "hunter22", "s3_access_key": "rgkey", "s3_secret_key": "s3cr3t"}')
    s = _settings(tmp_path)
    shard, sent = creation_args(3, s)
    assert shard == 3 and sent.secret_values() == ()
    wire = pickle.dumps((shard, sent))
    assert not any(secret.encode() in wire for secret in ("hunter22", "rgkey", "s3cr3t"))
