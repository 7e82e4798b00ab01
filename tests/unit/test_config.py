
from core.config import load_settings


def test_defaults_point_at_the_local_stack_on_loopback(tmp_path):
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)})
    assert s.host == "127.0.0.1"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.neo4j_uri == "bolt://127.0.0.1:7687"
    assert s.es_url == "http://127.0.0.1:9200"
    assert s.s3_endpoint == "http://127.0.0.1:9000"
    assert s.ray_address == "127.0.0.1:6380"
    assert s.ray_temp_dir == tmp_path / "ray"


def test_a_port_variable_moves_every_url_that_uses_it(tmp_path):
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path), "RAYGRAM_REDIS_PORT": "7000",
                       "RAYGRAM_ES_PORT": "9999", "RAYGRAM_FEED_SHARDS": "8"})
    assert s.redis_port == 7000 and s.redis_url.endswith(":7000/0")
    assert s.es_url == "http://127.0.0.1:9999"
    assert s.feed_shards == 8


def test_secrets_come_from_the_generated_file_unless_the_environment_names_them(tmp_path):
    (tmp_path / "secrets.json").write_text('{"neo4j_password": "from-file", "s3_access_key": "k", "s3_secret_key": "s"}')
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)})
    assert s.neo4j_password == "from-file"
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path), "RAYGRAM_NEO4J_PASSWORD": "from-env"})
    assert s.neo4j_password == "from-env"


def test_redacted_settings_never_show_a_secret(tmp_path):
    (tmp_path / "secrets.json").write_text('{"neo4j_password": "hunter22", "s3_access_key": "k", "s3_secret_key": "s3cr3t"}')
    shown = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)}).redacted()
    assert "hunter22" not in shown.values() and "s3cr3t" not in shown.values()
    assert shown["neo4j_password"] == "***"


def test_settings_without_secrets_blank_every_secret_and_nothing_else(tmp_path):
    (tmp_path / "secrets.json").write_text('{"neo4j_password": "hunter22", "s3_access_key": "k", "s3_secret_key": "s3cr3t"}')
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)})
    bare = s.without_secrets()
    assert (bare.neo4j_password, bare.s3_access_key, bare.s3_secret_key) == ("", "", "")
    assert bare.secret_values() == ()
    assert bare.redis_url == s.redis_url and bare.var_dir == s.var_dir


def test_settings_take_their_secrets_back_from_the_node(tmp_path, monkeypatch):
    (tmp_path / "secrets.json").write_text('{"neo4j_password": "hunter22", "s3_access_key": "k", "s3_secret_key": "s3cr3t"}')
    monkeypatch.delenv("RAYGRAM_NEO4J_PASSWORD", raising=False)
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path), "RAYGRAM_FEED_SHARDS": "8"})
    again = s.without_secrets().with_node_secrets()
    assert again == s
    monkeypatch.setenv("RAYGRAM_NEO4J_PASSWORD", "from-node-env")
    assert s.without_secrets().with_node_secrets().neo4j_password == "from-node-env"


def test_ray_defaults_keep_it_on_loopback_with_its_token_beside_the_data(tmp_path):
    s = load_settings({"RAYGRAM_VAR_DIR": str(tmp_path)})
    assert s.ray_node_ip == "127.0.0.1"
    assert s.ray_token_file == tmp_path / "ray-token"
    assert (s.ray_min_worker_port, s.ray_max_worker_port) == (10100, 10599)
