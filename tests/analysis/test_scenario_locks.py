"""Scenario changes of the version-2 rules: add and remove locks, set max_suppliers
and max_share (analysis/scenarios.py), their validation, and what they do to the
optimum (by enumeration) of hand-derived tiny instances."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.analysis.scenarios import Scenario, ScenarioError, apply_scenario, read_scenarios
from consortia.data.instance import Instance
from consortia.solvers.bruteforce import optimum_or_none

TINY = INSTANCES / "tiny"


def changed(name: str, *changes: dict) -> Instance:
    return apply_scenario(read_instance(TINY / name), Scenario("s", tuple(changes)))


def optimum(inst: Instance) -> float | None:
    found = optimum_or_none(inst)
    return None if found is None else round(found[0], 9)


def test_add_lock_takes_the_row_after_the_last() -> None:
    """lock_exclude has row 2 (exclude C from S1, optimum 25); excluding A from S2
    too leaves {A, B} on S1 and C on S2: still 25; joining C on S1 contradicts row 2."""
    inst = changed(
        "lock_exclude",
        {"kind": "add_lock", "rule": "exclude", "org": "A", "category": "food", "supplier": "S2"},
    )
    assert [str(lock) for lock in inst.lock_records] == [
        "lock row 2 (exclude C from food on S1)",
        "lock row 3 (exclude A from food on S2)",
    ]
    assert optimum(inst) == 25
    inst = changed(
        "lock_exclude",
        {"kind": "add_lock", "rule": "join", "org": "C", "category": "food", "supplier": "S1"},
    )
    assert optimum(inst) is None


def test_add_lock_to_an_instance_without_locks() -> None:
    """regions (optimum 20, {A, B} on S2): keeping A and B apart leaves 0."""
    inst = changed(
        "regions",
        {"kind": "add_lock", "rule": "apart", "org": "A", "other_org": "B", "category": "fleet"},
    )
    assert [str(lock) for lock in inst.lock_records] == ["lock row 2 (apart A and B in fleet)"]
    assert optimum(inst) == 0


def test_remove_locks_keeps_the_other_rows() -> None:
    base = [{"kind": "add_lock", "rule": "apart", "org": "A", "other_org": "B", "category": "food"}]
    inst = changed("lock_exclude", *base, {"kind": "remove_locks", "row": 2})
    assert [str(lock) for lock in inst.lock_records] == ["lock row 3 (apart A and B in food)"]
    inst = changed("lock_exclude", *base, {"kind": "remove_locks", "org": ["A", "C"]})
    assert inst.lock_records == ()
    assert optimum(inst) == 60  # lock_exclude without its lock: {A, B, C} on S1
    inst = changed("infeasible_locks", {"kind": "remove_locks", "rule": "join"})
    assert optimum(inst) == 20  # instances/tiny/README.md: without row 3, 20


def test_set_max_suppliers_and_max_share() -> None:
    """max_suppliers (48 with the limit, 64 without) and max_share (75, 200 without)."""
    assert (
        optimum(changed("max_suppliers", {"kind": "set_max_suppliers", "value": "unlimited"})) == 64
    )
    inst = changed("max_suppliers", {"kind": "set_max_suppliers", "value": 2, "category": "food"})
    assert inst.max_suppliers == {"food": 2} and optimum(inst) == 64
    inst = changed("max_share", {"kind": "set_max_share", "value": 1, "supplier": "S1"})
    assert inst.offer[("S1", "food")].max_share == 1 and optimum(inst) == 200
    inst = changed("regions", {"kind": "set_max_share", "value": 0.5, "category": "fleet"})
    assert {k: o.max_share for k, o in inst.offer.items()} == {
        ("S1", "fleet"): 0.5,
        ("S2", "fleet"): 0.5,
    }


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"kind": "add_lock", "rule": "keep", "org": "A", "category": "fleet"},
            "'rule' must be one of join, exclude, together, apart, not 'keep'",
        ),
        (
            {"kind": "add_lock", "rule": "join", "category": "fleet"},
            "'org' and 'category' are required",
        ),
        (
            {"kind": "add_lock", "rule": "join", "org": "Q", "category": "fleet"},
            "unknown organization 'Q'",
        ),
        (
            {"kind": "add_lock", "rule": "join", "org": "A", "category": "food"},
            "unknown category 'food'",
        ),
        (
            {"kind": "add_lock", "rule": "together", "org": "A", "category": "fleet"},
            "'other_org' is required for together and apart",
        ),
        (
            {"kind": "add_lock", "rule": "join", "org": "A", "other_org": "B", "category": "fleet"},
            "'other_org' is only for together and apart",
        ),
        (
            {
                "kind": "add_lock",
                "rule": "apart",
                "org": "A",
                "other_org": "B",
                "supplier": "S1",
                "category": "fleet",
            },
            "'supplier' is only for join and exclude",
        ),
        (
            {"kind": "add_lock", "rule": "join", "org": "A", "category": "fleet", "supplier": "S9"},
            "unknown supplier 'S9'",
        ),
        (
            {"kind": "add_lock", "rule": "join", "org": "A", "category": "fleet", "row": 4},
            "unknown field(s) row",
        ),
        ({"kind": "remove_locks", "org": "A"}, "selects no lock"),
        (
            {"kind": "set_max_suppliers", "value": 1.5},
            "'value' must be a whole number >= 1 or \"unlimited\", not 1.5",
        ),
        ({"kind": "set_max_suppliers", "value": 2, "category": "food"}, "selects no category"),
        ({"kind": "set_max_share", "value": 0}, "'value' must be in (0, 1], not 0.0"),
        ({"kind": "set_max_share", "value": 0.5, "supplier": "S9"}, "selects no offer"),
    ],
)
def test_bad_changes_name_the_scenario_and_the_change(change: dict, words: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        changed("regions", change)
    assert str(raised.value) == f"scenario 's', change 1 ({change['kind']}): {words}"


def test_a_lock_the_validation_refuses() -> None:
    """Known ids that make a bad lock (an organization without demand in the
    category) are refused by the instance's validation, naming the new row."""
    with pytest.raises(ScenarioError) as raised:
        changed(
            "shared_team", {"kind": "add_lock", "rule": "join", "org": "B", "category": "energy"}
        )
    assert str(raised.value) == (
        "scenario 's' gives an invalid instance: the instance has 1 problem(s):\n"
        "  - locks, row 2, column 'org_id': 'B' has no demand in category 'energy'"
    )


def test_scenario_file_with_the_new_kinds(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        '[[scenario]]\nname = "locked"\nchanges = [\n'
        '  { kind = "add_lock", rule = "together", org = "A", other_org = "B", '
        'category = "fleet" },\n'
        '  { kind = "set_max_share", supplier = "S2", value = 0.75 },\n'
        '  { kind = "set_max_suppliers", category = "fleet", value = 1 },\n'
        "]\n"
    )
    (scenario,) = read_scenarios(path)
    inst = apply_scenario(read_instance(TINY / "regions"), scenario)
    # {A, B} must share a lot; only S2 serves both, and may carry 75% of it: none
    assert optimum(inst) is None
