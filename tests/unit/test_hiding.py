"""Who hides whose posts after blocks and mutes (core/hiding.py)."""
from core.hiding import PairEdges, hides


def test_nothing_between_two_accounts_hides_nothing():
    assert hides(PairEdges()) == (False, False)


def test_a_block_hides_both_ways_whoever_blocked():
    assert hides(PairEdges(a_blocks_b=True)) == (True, True)
    assert hides(PairEdges(b_blocks_a=True)) == (True, True)
    assert PairEdges(b_blocks_a=True).blocked and not PairEdges(a_mutes_b=True).blocked


def test_a_mute_hides_one_way_only():
    assert hides(PairEdges(a_mutes_b=True)) == (True, False)
    assert hides(PairEdges(b_mutes_a=True)) == (False, True)


def test_unblocking_leaves_a_mute_in_force():
    # a blocked and muted b, then unblocked: a still does not see b; b sees a again.
    assert hides(PairEdges(a_mutes_b=True, a_blocks_b=False)) == (True, False)
    # Both blocked each other; one unblock leaves the other block: still hidden both ways.
    assert hides(PairEdges(b_blocks_a=True)) == (True, True)

