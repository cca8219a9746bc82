"""assess_plan on hand-built plans: the supplier rules (spec section 11) and every
kind of lock (section 12), each violation a sentence naming the lock by its row."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables, load_raw_tables
from consortia.rules.plan import Lot, assess_plan


def _tiny(name: str) -> Instance:
    return read_instance(INSTANCES / "tiny" / name)


def _variant(name: str, table: str, rows: list[dict[str, str]]) -> Instance:
    """A tiny instance with one table replaced."""
    raw, problems = load_raw_tables(INSTANCES / "tiny" / name)
    assert not problems
    raw[table] = pd.DataFrame(rows, dtype=object).fillna("")
    return instance_from_tables(raw)


def _without_locks(name: str) -> Instance:
    raw, _ = load_raw_tables(INSTANCES / "tiny" / name)
    del raw["locks"]
    return instance_from_tables(raw)


def _food(supplier: str, *members: str) -> Lot:
    return Lot("food", supplier, members, 1)


def _violations(inst: Instance, lots: list[Lot]) -> list[str]:
    return assess_plan(inst, lots).violations


def test_max_suppliers() -> None:
    inst = _tiny("max_suppliers")
    assert _violations(inst, [_food("S1", "A"), _food("S2", "B")]) == [
        "category food uses 2 suppliers (S1, S2), more than its max_suppliers 1"
    ]
    assert _violations(inst, [_food("S2", "A"), _food("S2", "B")]) == []
    assert _violations(inst, [_food("S1", "A")]) == []


def test_max_share() -> None:
    inst = _tiny("max_share")  # A buys 60, B 40; S1 may carry half the category
    assert _violations(inst, [_food("S1", "A", "B")]) == [
        "offer S1/food carries 100 of the 100 awarded in food, more than its max_share 0.5 "
        "(at most 50)"
    ]
    assert _violations(inst, [_food("S1", "A"), _food("S2", "B")]) == [
        "offer S1/food carries 60 of the 100 awarded in food, more than its max_share 0.5 "
        "(at most 50)"
    ]
    # a lot on S1 alone breaks the rule; next to A's lot on S2 it keeps it
    assert _violations(inst, [_food("S1", "B")]) != []
    assert _violations(inst, [_food("S1", "B"), _food("S2", "A")]) == []
    assert _violations(inst, []) == []  # 0 of 0 is within any share


def test_max_share_at_the_limit() -> None:
    rows = [
        {"supplier_id": "S1", "category_id": "food", "fixed_cost": "0"},
        {"supplier_id": "S2", "category_id": "food", "fixed_cost": "5", "max_share": ""},
    ]
    plan = [_food("S1", "B"), _food("S2", "A")]  # 40 of 100 on S1
    assert (
        _violations(
            _variant("max_share", "offers", [rows[0] | {"max_share": "0.4"}, rows[1]]), plan
        )
        == []
    )
    lower = _variant("max_share", "offers", [rows[0] | {"max_share": "0.39"}, rows[1]])
    assert "more than its max_share 0.39" in _violations(lower, plan)[0]


def test_join_with_a_supplier() -> None:
    inst = _tiny("lock_join")  # lock row 2: join B in food on S2
    empty = assess_plan(inst, [])
    assert not empty.feasible and empty.objective == 0
    assert empty.violations == ["lock row 2 (join B in food on S2): B is in no lot of food"]
    assert _violations(inst, [_food("S1", "A", "B")]) == [
        "lock row 2 (join B in food on S2): B is in a lot of food on S1, not on S2"
    ]
    assert _violations(inst, [_food("S1", "A"), _food("S2", "B")]) == []
    assert _violations(inst, [_food("S2", "A", "B")]) == []


def test_join_without_a_supplier() -> None:
    inst = _variant("lock_join", "locks", [{"rule": "join", "org_id": "B", "category_id": "food"}])
    assert _violations(inst, [_food("S1", "A")]) == [
        "lock row 2 (join B in food): B is in no lot of food"
    ]
    assert _violations(inst, [_food("S1", "A", "B")]) == []
    # a lot of another category does not count: B is in no lot of food
    assert "B is in no lot of food" in _violations(inst, [Lot("tea", "S1", ("B",), 1)])[-1]


def test_exclude() -> None:
    inst = _tiny("lock_exclude")  # lock row 2: exclude C from food on S1
    assert _violations(inst, [_food("S1", "A", "B", "C")]) == [
        "lock row 2 (exclude C from food on S1): C is in lot food/S1 {A, B, C}"
    ]
    assert _violations(inst, [_food("S1", "A", "B"), _food("S2", "C")]) == []
    anywhere = _variant(
        "lock_exclude", "locks", [{"rule": "exclude", "org_id": "C", "category_id": "food"}]
    )
    assert _violations(anywhere, [_food("S1", "A", "B"), _food("S2", "C")]) == [
        "lock row 2 (exclude C from food): C is in lot food/S2 {C}"
    ]
    assert _violations(anywhere, [_food("S1", "A", "B")]) == []


def test_together() -> None:
    inst = _tiny("lock_together")  # lock row 2: together B and C in food
    name = "lock row 2 (together B and C in food)"
    assert _violations(inst, []) == [f"{name}: B is in no lot of food"]
    assert _violations(inst, [_food("S2", "C")]) == [f"{name}: B is in no lot of food"]
    assert _violations(inst, [_food("S2", "B")]) == [f"{name}: C is in no lot of food"]
    assert _violations(inst, [_food("S1", "A", "C"), _food("S2", "B")]) == [
        f"{name}: B and C are in different lots of food"
    ]
    assert _violations(inst, [_food("S2", "B", "C"), _food("S2", "A")]) == []


def test_apart() -> None:
    inst = _tiny("lock_apart")  # lock row 2: apart A and B in food
    assert _violations(inst, [_food("S1", "A", "B")]) == [
        "lock row 2 (apart A and B in food): both are in lot food/S1 {A, B}"
    ]
    assert _violations(inst, [_food("S2", "A"), _food("S2", "B")]) == []
    assert _violations(inst, []) == []


def test_every_broken_lock_is_listed_by_row() -> None:
    inst = _tiny("infeasible_locks")  # row 2: together A and B; row 3: join B on S2
    assert _violations(inst, []) == [
        "lock row 2 (together A and B in food): A is in no lot of food",
        "lock row 3 (join B in food on S2): B is in no lot of food",
    ]
    # the lot both locks ask for: S2 does not serve A's region (rule 4)
    assert _violations(inst, [_food("S2", "A", "B")]) == [
        "lot food/S2 {A, B}: offer does not serve the region of A"
    ]


@pytest.mark.parametrize("name", ["lock_join", "lock_exclude", "lock_together", "lock_apart"])
def test_locks_change_no_number(name: str) -> None:
    """Locks judge a plan; they change none of its numbers."""
    plan = [_food("S2", "A"), _food("S1", "B")]
    locked = assess_plan(_tiny(name), plan)
    free = assess_plan(_without_locks(name), plan)
    assert locked.objective == pytest.approx(free.objective)
    assert locked.violations[: len(free.violations)] == free.violations
    assert all(v.startswith("lock row 2 ") for v in locked.violations[len(free.violations) :])
