"""The brute-force enumerator under the supplier rules (spec section 11) and locks
(section 12): hand-derived optima, infeasible instances (section 13), and random
tiny instances against a naive enumeration that judges every plan by assess_plan."""

from __future__ import annotations

import itertools
import math

import pytest
from test_optima import RULES_TINY

from conftest import INSTANCES
from consortia import read_instance
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.rules.plan import Lot, assess_plan, price_lot
from consortia.solvers.bruteforce import (
    Infeasible,
    candidate_lots,
    enumerate_optimum,
    optimum_or_none,
    profitable_lots,
)
from tiny_random import random_tiny_tables, random_v3_tables

# instances/tiny/README.md derives each optimum by hand (test_optima.py holds the
# values), and the plan that reaches it
HAND_PLANS = {
    "max_suppliers": {("S2", ("A",)), ("S2", ("B",))},
    "max_share": {("S1", ("B",)), ("S2", ("A",))},
    "lock_join": {("S1", ("A",)), ("S2", ("B",))},
    "lock_exclude": {("S1", ("A", "B")), ("S2", ("C",))},
    "lock_together": {("S2", ("A",)), ("S2", ("B", "C"))},
    "lock_apart": {("S2", ("A",)), ("S2", ("B",))},
}


@pytest.mark.parametrize("name", sorted(HAND_PLANS))
def test_hand_derived_optimum_and_plan(name: str) -> None:
    value, plan = enumerate_optimum(read_instance(INSTANCES / "tiny" / name))
    assert value == pytest.approx(RULES_TINY[name], abs=1e-9)
    assert {(o.lot.supplier_id, o.lot.members) for o in plan} == HAND_PLANS[name]


def test_needed_lots_may_lose_money() -> None:
    """The join lock and the max_share rule each need a lot with net savings < 0."""
    join_plan = enumerate_optimum(read_instance(INSTANCES / "tiny" / "lock_join"))[1]
    assert {o.lot.members: round(o.net, 9) for o in join_plan} == {("A",): 8, ("B",): -2}
    share_plan = enumerate_optimum(read_instance(INSTANCES / "tiny" / "max_share"))[1]
    assert {o.lot.members: round(o.net, 9) for o in share_plan} == {("A",): -5, ("B",): 80}


def test_infeasible_instance() -> None:
    inst = read_instance(INSTANCES / "tiny" / "infeasible_locks")
    assert optimum_or_none(inst) is None
    with pytest.raises(Infeasible):
        enumerate_optimum(inst)


def test_unlocked_instances_keep_their_optimum() -> None:
    """Without the locks, the lock instances are worth what the README says."""
    from consortia.data.reader import load_raw_tables

    unlocked = {"lock_join": 16, "lock_exclude": 60, "lock_together": 55, "lock_apart": 20}
    unlocked["infeasible_locks"] = 20
    for name, value in unlocked.items():
        raw, _ = load_raw_tables(INSTANCES / "tiny" / name)
        del raw["locks"]
        assert enumerate_optimum(instance_from_tables(raw))[0] == pytest.approx(value), name


def test_candidates_without_locks_or_shares_are_the_profitable_lots() -> None:
    """On version-1 instances the candidates are the lots with net savings > 0, the
    best of those alike in members, offer and forming periods."""
    listed = 0
    for seed in range(30):
        inst = instance_from_tables(random_tiny_tables(seed))
        for cat in inst.category:
            found = candidate_lots(inst, cat)
            assert all(o.net > 1e-9 for o in found)
            best = {(o.lot.members, o.lot.supplier_id, tuple(o.forming)): o.net for o in found}
            assert len(best) == len(found)
            for lot in profitable_lots(inst, cat):
                assert best[(lot.lot.members, lot.lot.supplier_id, tuple(lot.forming))] >= lot.net
                listed += 1
    assert listed > 90  # measured: 101


# ---------------------------------------------------------------- naive reference


def _lots_alone(inst: Instance, cat: str) -> list[Lot]:
    orgs = [o for o in inst.org_ids if (o, cat) in inst.demand_of]
    lots = []
    for size in range(1, len(orgs) + 1):
        for members in itertools.combinations(orgs, size):
            for off in inst.offers_in[cat]:
                for start in range(1, inst.settings.horizon + 1):
                    lot = Lot(cat, off.supplier_id, members, start)
                    outcome, problems = price_lot(inst, lot)
                    if outcome is not None and not problems:
                        lots.append(lot)
    return lots


def _disjoint_sets(lots: list[Lot]) -> list[list[Lot]]:
    """Every set of lots without a common member, the empty set included."""
    found: list[list[Lot]] = []

    def grow(i: int, used: frozenset[str], chosen: list[Lot]) -> None:
        if i == len(lots):
            found.append(list(chosen))
            return
        grow(i + 1, used, chosen)
        if not used & set(lots[i].members):
            grow(i + 1, used | set(lots[i].members), [*chosen, lots[i]])

    grow(0, frozenset(), [])
    return found


def _naive_optimum(inst: Instance, budget: int) -> float | None | str:
    """The best plan among all sets of lots (whatever their value), each judged by
    assess_plan; None when none is feasible, "skipped" over `budget` plans."""
    per_category = [_disjoint_sets(_lots_alone(inst, c)) for c in inst.category]
    if math.prod(len(p) for p in per_category) > budget:
        return "skipped"
    best = None
    for parts in itertools.product(*per_category):
        judged = assess_plan(inst, [lot for part in parts for lot in part])
        if judged.feasible and (best is None or judged.objective > best):
            best = judged.objective
    return best


def test_random_instances_match_the_naive_enumeration() -> None:
    compared = infeasible = positive = 0
    mismatches = []
    for seed in range(150):
        inst = instance_from_tables(random_v3_tables(seed))
        naive = _naive_optimum(inst, budget=2000)
        if naive == "skipped":
            continue
        found = optimum_or_none(inst)
        compared += 1
        infeasible += found is None
        positive += found is not None and found[0] > 1e-9
        if (found is None) != (naive is None) or (
            found is not None and naive is not None and abs(found[0] - naive) > 1e-6
        ):
            mismatches.append((seed, naive, found and found[0]))
    assert not mismatches
    # measured: 148 compared, 22 infeasible, 37 with a positive optimum
    assert compared >= 140 and infeasible >= 15 and positive >= 25


def test_random_v3_instances_exercise_every_new_rule() -> None:
    seen: set[str] = set()
    for seed in range(60):
        inst = instance_from_tables(random_v3_tables(seed))
        seen |= {lock.rule for lock in inst.lock_records}
        seen |= {f"{lock.rule} on a supplier" for lock in inst.lock_records if lock.supplier_id}
        seen |= {"max_suppliers"} if inst.max_suppliers else set()
        seen |= {"max_share"} if any(o.max_share < 1 for o in inst.offer.values()) else set()
    assert seen == {
        "join",
        "exclude",
        "together",
        "apart",
        "join on a supplier",
        "exclude on a supplier",
        "max_suppliers",
        "max_share",
    }
