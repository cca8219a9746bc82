"""The greedy plan under supplier rules and locks (formulations/keep_rules.py)."""

from __future__ import annotations

from pathlib import Path

from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.formulations.greedy import greedy_plan
from consortia.rules.plan import Lot, assess_plan, total_net
from consortia.solvers.bruteforce import optimum_or_none
from tiny_random import random_v3_tables

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny"


def test_greedy_plans_keep_every_rule_and_meet_most_locks() -> None:
    """On random instances with supplier rules and locks the greedy plan is feasible
    or empty, never above the optimum, empty when no plan exists, and meets the
    join/together locks of most instances that have a plan."""
    must, met = 0, 0
    for seed in range(200):
        inst = instance_from_tables(random_v3_tables(seed))
        found = optimum_or_none(inst)
        plan = greedy_plan(build_candidates(inst))
        judged = assess_plan(inst, [o.lot for o in plan])
        if found is None:
            assert not plan or not judged.feasible, seed
            continue
        assert not plan or judged.feasible, (seed, judged.violations)
        if judged.feasible:  # the empty plan may break a join lock
            assert total_net(plan) <= found[0] + 1e-6 * max(1.0, abs(found[0])), seed
        if any(lock.rule in ("join", "together") for lock in inst.lock_records):
            must += 1
            met += judged.feasible
    assert must >= 20
    assert met >= 0.8 * must, (met, must)


def test_an_excluded_member_leaves_a_proposed_lot() -> None:
    """instances/tiny/lock_exclude: C may not buy from S1. A lot of all three on S1
    loses C; the lot of A and B is untouched."""
    from consortia.data.reader import read_instance
    from consortia.formulations.keep_rules import without_forbidden_members

    inst = read_instance(TINY / "lock_exclude")
    assert without_forbidden_members(inst, Lot("food", "S1", ("A", "B", "C"), 1)) == Lot(
        "food", "S1", ("A", "B"), 1
    )
    assert without_forbidden_members(inst, Lot("food", "S2", ("A", "B", "C"), 1)).members == (
        "A",
        "B",
        "C",
    )


def test_an_unmet_join_lock_is_met_at_a_loss() -> None:
    """instances/tiny/lock_join: B must buy from S2 (at a loss); the greedy plan meets
    the lock and reaches the hand-derived optimum 6 (README)."""
    from consortia.data.reader import read_instance

    inst = read_instance(TINY / "lock_join")
    plan = greedy_plan(build_candidates(inst))
    assert assess_plan(inst, [o.lot for o in plan]).feasible
    assert abs(total_net(plan) - 6) < 1e-9
