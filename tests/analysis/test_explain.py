"""consortia explain (spec section 15, analysis/explain.py) on instances/tiny/regions,
the ranges derived by hand. The solves are by enumeration (tests/exact.py), so the
ranges hold whichever formulations take locks.

regions: A (north) and B (south) each buy 10 fleet at 10 for one period. S1 serves
only the north: 10, or 8 from 20 units; S2 serves everyone: 10, or 9 from 20.
Optimum 20 ({A, B} on S2); alone, either pays 10 and saves nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import INSTANCES
from consortia import read_instance, write_result
from consortia.analysis.explain import explain
from consortia.errors import UsageError
from consortia.solvers.options import SolveOptions
from consortia.solvers.result import Result
from exact import exact_solve

REGIONS = read_instance(INSTANCES / "tiny" / "regions")
OPTIONS = SolveOptions()


@pytest.fixture(autouse=True)
def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("consortia.analysis.explain.checked_solve", exact_solve)


def plan(tmp_path: Path, bound: float | None = None, empty: bool = False) -> Path:
    """The optimal plan of regions written to a folder (optionally its summary's
    bound replaced, or the empty plan with bound 20)."""
    result = exact_solve(REGIONS)
    if empty:
        result = Result(REGIONS, "feasible", 0.0, 20.0, [], formulation="test")
    folder = write_result(result, tmp_path / "plan")
    if bound is not None:
        summary = json.loads((folder / "summary.json").read_text())
        summary["best_bound"] = bound
        (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_join_on_a_supplier_that_costs_everything(tmp_path: Path) -> None:
    """A joined on S1 buys alone at 10 (S1 cannot take B), B alone at 10 too: the
    best plan with the lock saves 0, proven. Range [20 - 0, 20 - 0]."""
    answer = explain(REGIONS, plan(tmp_path), "A", "fleet", "S1", OPTIONS)
    assert answer.lock.rule == "join" and answer.lock.row == 2
    assert answer.question == "Why is A not in a lot of fleet on S1?"
    assert answer.result.objective == pytest.approx(0.0, abs=1e-9)
    assert answer.difference == pytest.approx((20.0, 20.0))
    assert answer.sentence("GBP") == (
        "Putting A in a lot of fleet on S1 costs between 20.00 GBP and 20.00 GBP: the best "
        "plan with it saves at least 20.00 GBP and at most 20.00 GBP less than the best plan "
        "without it."
    )


def test_the_plans_bound_widens_the_range(tmp_path: Path) -> None:
    """With a recorded bound of 25 (a plan not proven optimal): [20 - 0, 25 - 0]."""
    answer = explain(REGIONS, plan(tmp_path, bound=25.0), "A", "fleet", "S1", OPTIONS)
    assert answer.difference == pytest.approx((20.0, 25.0))


def test_exclude_when_the_plan_has_it(tmp_path: Path) -> None:
    """A is in the plan's lot: the lock excludes it; B alone saves 0: [20, 20]."""
    answer = explain(REGIONS, plan(tmp_path), "A", "fleet", None, OPTIONS)
    assert answer.lock.rule == "exclude" and answer.lock.wording == "exclude A from fleet"
    assert answer.question == "Why is A in a lot of fleet?"
    assert answer.difference == pytest.approx((20.0, 20.0))
    assert answer.sentence("GBP").startswith("Keeping A out of fleet costs between 20.00 GBP")


def test_a_lock_the_optimum_keeps(tmp_path: Path) -> None:
    """The empty plan (0, bound 20): joining A in fleet still allows {A, B} on S2,
    20: [0 - 20, 20 - 20] = [-20, 0], so it costs nothing. With a bound of 25:
    [-20, 5], at most 5, nothing proven."""
    empty = explain(REGIONS, plan(tmp_path, empty=True), "A", "fleet", None, OPTIONS)
    assert empty.lock.rule == "join" and empty.result.objective == pytest.approx(20.0)
    assert empty.difference == pytest.approx((-20.0, 0.0))
    assert empty.sentence("GBP").startswith("Putting A in a lot of fleet costs nothing")
    wide = explain(
        REGIONS, plan(tmp_path / "b", bound=25.0, empty=True), "A", "fleet", None, OPTIONS
    )
    assert wide.difference == pytest.approx((-20.0, 5.0))
    assert wide.sentence("GBP").startswith("Putting A in a lot of fleet costs at most 5.00 GBP")


def test_a_lock_no_plan_keeps_gives_the_conflict(tmp_path: Path) -> None:
    """B joined on S1, which does not serve the south: no feasible plan."""
    answer = explain(REGIONS, plan(tmp_path), "B", "fleet", "S1", OPTIONS)
    assert answer.result.status == "infeasible" and answer.difference is None
    assert answer.conflict() == [
        "the asked lock (join B in fleet on S1): no lot of fleet on S1 can hold B: S1 does "
        "not serve region 'south' (rule 4)"
    ]
    assert answer.sentence("GBP") == "Putting B in a lot of fleet on S1 leaves no feasible plan."


@pytest.mark.parametrize(
    ("org", "category", "supplier", "words"),
    [
        ("Z", "fleet", None, "unknown organization 'Z'"),
        ("A", "food", None, "unknown category 'food'"),
        ("A", "fleet", "S9", "S9 has no offer in fleet"),
    ],
)
def test_bad_requests(
    tmp_path: Path, org: str, category: str, supplier: str | None, words: str
) -> None:
    with pytest.raises(UsageError, match=words):
        explain(REGIONS, plan(tmp_path), org, category, supplier, OPTIONS)


def test_a_plan_of_another_instance_is_refused(tmp_path: Path) -> None:
    folder = write_result(
        exact_solve(read_instance(INSTANCES / "tiny" / "capacity")), tmp_path / "p"
    )
    with pytest.raises(UsageError, match="not solved for this instance"):
        explain(REGIONS, folder, "A", "fleet", None, OPTIONS)
