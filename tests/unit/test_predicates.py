"""The "ready" and visibility rules are written once (graph/predicates.py): the Python functions
agree with the Cypher fragments' rule, and no other module spells the fragments out again."""
from pathlib import Path

from graph.predicates import READY, VISIBLE, is_ready, may_see, ready, shown_to, visible

ROOT = Path(__file__).resolve().parents[2]


def test_is_ready():
    assert is_ready({"id": 1}) and is_ready({"state": None}) and is_ready({"state": "ready"})
    assert not is_ready({"state": "processing"}) and not is_ready({"state": "failed"})


def test_may_see():
    public, private = {"id": 1, "private": False}, {"id": 1, "private": True}
    assert may_see(public, 2, follows=False)
    assert not may_see(private, 2, follows=False)
    assert may_see(private, 2, follows=True) and may_see(private, 1, follows=False)
    assert not may_see(public, 2, follows=True, blocked=True)


def test_fragments_name_their_variables():
    assert READY == ready("p") and "q.state" in ready("q")
    assert VISIBLE == visible("u", "v") and shown_to("a", "v") in visible("a", "v")


def test_no_other_copy_of_the_rules():
    for path in sorted(ROOT.glob("graph/*.py")):
        if path.name == "predicates.py":
            continue
        text = path.read_text()
        for copy in ("state IS NULL", ".private OR", "'processing', 'failed'",
                     '"processing", "failed"'):
            assert copy not in text, f"{path.relative_to(ROOT)} spells out {copy!r}: use graph/predicates.py"
