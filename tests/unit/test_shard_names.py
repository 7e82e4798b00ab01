"""Shard actors are named after their own code only: editing a graph query keeps every timeline."""
import shutil
from pathlib import Path

from actors.feed_shard import SHARD_PROTOCOL, code_version

REPO = Path(__file__).resolve().parents[2]


def test_the_running_name_is_the_digest_of_the_actor_module():
    assert SHARD_PROTOCOL == code_version(REPO)


def test_editing_a_graph_query_keeps_the_name_and_editing_the_actor_changes_it(tmp_path):
    for rel in ("actors/feed_shard.py", "graph/feed_queries.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, tmp_path / rel)
    before = code_version(tmp_path)
    query = tmp_path / "graph/feed_queries.py"
    query.write_text(query.read_text() + "\n# a changed query\n")
    assert code_version(tmp_path) == before
    actor = tmp_path / "actors/feed_shard.py"
    actor.write_text(actor.read_text() + "\n# a changed actor\n")
    assert code_version(tmp_path) != before
