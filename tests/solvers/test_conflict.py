"""Conflicts of infeasible instances (spec section 13, solvers/conflict.py): the
hand-derived conflict of instances/tiny/infeasible_locks, reasons found without a
solve, and random infeasible instances whose conflict is checked by brute force to
be infeasible and irreducible (dropping any one item leaves a feasible plan)."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.data.tables import instance_to_tables
from consortia.solvers.base import SolveContext, finish_without_plan
from consortia.solvers.bruteforce import optimum_or_none
from consortia.solvers.clock import Deadline
from consortia.solvers.conflict import conflict_items, find_conflict, with_conflict
from consortia.solvers.static_conflict import StaticChecker
from consortia.solvers.variants import (
    CENTRAL,
    LOCK,
    SHARE,
    Item,
    forced_categories,
    rule_items,
    variant,
)
from exact import feasible
from tiny_random import random_v3_tables

TINY = INSTANCES / "tiny"
SEEDS = range(120)  # about 20 of them have no feasible plan


def only(inst: Instance, kept: list[Item]) -> Instance:
    """The instance with only the `kept` items of its conflict items, restricted to
    the categories they force (the empty plan keeps every other category)."""
    dropped = [i for i in conflict_items(inst) if i not in kept]
    return variant(inst, dropped, forced_categories(kept))


def keeps(inst: Instance, kept: list[Item]) -> bool:
    """Some plan keeps the `kept` items (the other items dropped), by brute force."""
    if not forced_categories(kept):
        return True
    return optimum_or_none(only(inst, kept)) is not None


def never(inst: Instance, seconds: float) -> None:
    """A test that always hits its time limit."""
    return None


def rows(items: tuple[Item, ...]) -> set[int]:
    return {i.lock.row for i in items if i.lock is not None}


def tables_with_locks(name: str, locks: list[dict[str, str]]) -> dict[str, pd.DataFrame]:
    tables = instance_to_tables(read_instance(TINY / name))
    columns = ["rule", "org_id", "category_id", "supplier_id", "other_org_id"]
    tables["locks"] = pd.DataFrame(
        [{c: lock.get(c, "") for c in columns} for lock in locks], columns=columns
    )
    return tables


def test_infeasible_locks_conflict_is_rows_2_and_3_with_rule_4() -> None:
    """instances/tiny/README.md: B must be on S2 (row 3) and A with B (row 2), but S2
    does not serve A's region."""
    inst = read_instance(TINY / "infeasible_locks")
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=True)
    assert found is not None and found.irreducible
    assert rows(found.items) == {2, 3} and len(found.items) == 2
    assert found.reason == (
        "A and B must share one lot of food on S2, but for A, S2 does not serve "
        "region 'north' (rule 4)"
    )
    assert found.solves == 2  # one per item: without it, a plan exists
    lines = found.lines()
    assert lines[0].startswith("lock row 2 (together A and B in food)")
    assert lines[1].startswith("lock row 3 (join B in food on S2)")
    assert lines[-1] == "dropping any one of them leaves a feasible plan"


def test_a_join_no_offer_can_serve_is_a_conflict_of_one_lock() -> None:
    """The spec's example: 'lock row 3: no offer of ict serves region wales'."""
    tables = tables_with_locks(
        "regions",
        [
            {"rule": "exclude", "org_id": "A", "category_id": "fleet", "supplier_id": "S2"},
            {"rule": "join", "org_id": "B", "category_id": "fleet"},
        ],
    )
    tables["organizations"].loc[tables["organizations"]["org_id"] == "B", "region"] = "wales"
    tables["offers"]["regions"] = "north"  # S1 and S2 serve only the north
    inst = instance_from_tables(tables)
    assert optimum_or_none(inst) is None
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=True)
    assert found is not None and found.solves == 0
    assert found.lines() == [
        "lock row 3 (join B in fleet): no offer of fleet serves region 'wales' (rule 4)"
    ]


@pytest.mark.parametrize(
    ("locks", "expected_rows", "words"),
    [
        (
            [
                {"rule": "join", "org_id": "A", "category_id": "fleet", "supplier_id": "S2"},
                {"rule": "apart", "org_id": "B", "category_id": "fleet", "other_org_id": "A"},
                {"rule": "exclude", "org_id": "A", "category_id": "fleet", "supplier_id": "S2"},
            ],
            {2, 4},
            "no lot of fleet on S2 can hold A: a lock excludes A from S2",
        ),
        (
            [
                {"rule": "together", "org_id": "A", "category_id": "fleet", "other_org_id": "B"},
                {"rule": "apart", "org_id": "B", "category_id": "fleet", "other_org_id": "A"},
            ],
            {2, 3},
            "B and A must be in one lot of fleet and must not be",
        ),
        (
            [
                {"rule": "join", "org_id": "A", "category_id": "fleet", "supplier_id": "S1"},
                {"rule": "together", "org_id": "A", "category_id": "fleet", "other_org_id": "B"},
            ],
            {2, 3},
            "A and B must share one lot of fleet on S1, but for B, S1 does not serve "
            "region 'south' (rule 4)",
        ),
        (
            [
                {"rule": "join", "org_id": "A", "category_id": "fleet", "supplier_id": "S1"},
                {"rule": "join", "org_id": "A", "category_id": "fleet", "supplier_id": "S2"},
            ],
            {2, 3},
            "A must be on S1 and on S2, but it is in at most one lot of fleet",
        ),
    ],
)
def test_reasons_found_without_a_solve(
    locks: list[dict[str, str]], expected_rows: set[int], words: str
) -> None:
    inst = instance_from_tables(tables_with_locks("regions", locks))
    assert optimum_or_none(inst) is None
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=True)
    assert found is not None and found.irreducible
    assert rows(found.items) == expected_rows and found.reason == words


def test_max_share_of_the_only_offer_conflicts_with_a_join() -> None:
    """A lot of a category whose only usable offer may carry half its volume cannot
    exist: V = V(S2) <= 0.5 V."""
    tables = tables_with_locks("regions", [{"rule": "join", "org_id": "B", "category_id": "fleet"}])
    tables["offers"]["max_share"] = ["", "0.5"]
    tables["organizations"]["region"] = "south"  # S1 serves the north only
    inst = instance_from_tables(tables)
    assert optimum_or_none(inst) is None
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=True)
    assert found is not None
    assert [str(i) for i in found.items] == [
        "lock row 2 (join B in fleet)",
        "offer S2/fleet max_share 0.5",
    ]
    assert found.reason is not None and "may carry at most 0.5 of its volume" in found.reason


@pytest.mark.parametrize("seed", SEEDS)
def test_random_instance_conflict_and_claims(seed: int) -> None:
    """On random tiny instances, by brute force: the instance has a feasible plan
    exactly when its restriction to the categories named by join or together locks
    has one (the claim of solvers/conflict.py); a check that holds is a proof (the
    items it names leave no feasible plan, and it never holds on a feasible
    instance); the conflict of an infeasible instance is infeasible and irreducible."""
    inst = instance_from_tables(random_v3_tables(seed))
    full = optimum_or_none(inst) is not None
    forced = forced_categories(rule_items(inst))
    if not forced:
        assert full
    else:
        restricted = variant(inst, (), forced)
        assert set(restricted.category) == forced
        assert (optimum_or_none(restricted) is not None) == full
    finding = StaticChecker(inst).check(conflict_items(inst))
    if finding is not None:
        assert not full, finding.reason
        assert not keeps(inst, list(finding.items)), finding.reason
    if full:
        return
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=True)
    assert found is not None and found.irreducible and found.items
    kept = list(found.items)
    assert not keeps(inst, kept)
    for item in kept:
        assert keeps(inst, [i for i in kept if i != item]), f"{item} is not needed"


def test_undecided_tests_keep_their_items() -> None:
    """A test stopped by its time limit drops nothing: the set still cannot hold, and
    the conflict says which items may not be needed."""
    inst = read_instance(TINY / "infeasible_locks")
    found = find_conflict(inst, never, Deadline(None), known_infeasible=True)
    assert found is not None and not found.irreducible
    assert rows(found.undecided) == {2, 3}
    assert found.lines()[-1].startswith("not proven needed: lock row 2")
    # found by a solve, not a check: every item of the instance is kept
    tables = random_v3_tables(8)
    inst = instance_from_tables(tables)
    assert optimum_or_none(inst) is None and StaticChecker(inst).check(conflict_items(inst)) is None
    found = find_conflict(inst, never, Deadline(None), known_infeasible=True)
    assert found is not None and found.items == tuple(conflict_items(inst))
    assert not keeps(inst, list(found.items))


def test_expired_clock_leaves_unproven_infeasibility_alone() -> None:
    """Without a proof of infeasibility and without time, no conflict is claimed."""
    inst = instance_from_tables(random_v3_tables(8))
    expired = Deadline(0.0)
    assert find_conflict(inst, feasible, expired, known_infeasible=False) is None
    found = find_conflict(inst, feasible, Deadline(None), known_infeasible=False)
    assert found is not None and found.irreducible


def test_with_conflict_proves_a_no_plan_result_infeasible() -> None:
    inst = read_instance(TINY / "infeasible_locks")
    ctx = SolveContext.of(inst)
    result = with_conflict(ctx, finish_without_plan(ctx, "test", proven=False), feasible)
    assert result.status == "infeasible" and result.stop_reason.endswith("(proven)")
    assert result.conflict[-1] == "dropping any one of them leaves a feasible plan"
    assert "conflict" in result.timings.search
    # a feasible instance whose solve found no plan stays without a conflict
    ctx = SolveContext.of(read_instance(TINY / "lock_join"))
    result = with_conflict(ctx, finish_without_plan(ctx, "test", proven=False), feasible)
    assert result.status == "no_plan" and result.conflict == []


def test_items_and_variants() -> None:
    """Items name the instance's rows and rules; a variant drops exactly the items
    asked, keeps the other locks' rows and restricts the categories."""
    tables = random_v3_tables(48)
    inst = instance_from_tables(tables)
    items = rule_items(inst)
    assert [str(i) for i in items] == [
        "lock row 2 (join O0 in C0 on S0)",
        "lock row 3 (join O2 in C0 on S1)",
        "lock row 4 (apart O2 and O0 in C0)",
        "lock row 5 (apart O0 and O2 in C0)",
        "lock row 6 (apart O0 and O2 in C0)",
        "offer S0/C0 max_share 0.5",
    ]
    assert items[-1].kind == SHARE and items[0].kind == LOCK
    assert items[-1].asks == "S0 carries at most 50% of the volume awarded in C0"
    relaxed = variant(inst, [items[1], items[-1]])
    assert [lock.row for lock in relaxed.lock_records] == [2, 4, 5, 6]
    assert relaxed.offer[("S0", "C0")].max_share == 1.0
    assert relaxed.category.keys() == inst.category.keys()
    limited = instance_from_tables(random_v3_tables(13))
    central = [i for i in rule_items(limited) if i.kind == CENTRAL]
    assert [str(i) for i in central] == ["max_parallel_formations 1 (settings)"]
    assert variant(limited, central).settings.max_parallel_formations is None
