"""Decomposition by category: the parts, the priced category problem, workers."""

from __future__ import annotations

import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.solvers.base import SolveContext
from consortia.solvers.compact import solve_compact
from consortia.solvers.decompose import category_parts, solve_decomposed
from consortia.solvers.options import SolveOptions

SHARED_TEAM = INSTANCES / "tiny" / "shared_team"


def test_category_parts_keep_only_their_category() -> None:
    inst = read_instance(INSTANCES / "demo")
    parts = category_parts(inst)
    assert sorted(parts) == sorted(set(inst.demand["category_id"]))
    for c, part in parts.items():
        for table in (part.categories, part.demand, part.offers, part.tiers):
            assert set(table["category_id"]) == {c}
        assert len(part.demand) == int((inst.demand["category_id"] == c).sum())
        assert part.org_ids == inst.org_ids
        assert part.settings == inst.settings


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ({}, 20.0),  # start in 1, live in 2: 10 a period for 2 periods
        ({1: 5.0}, 15.0),  # still start in 1: 20 - 5 beats starting in 2 (10)
        ({1: 12.0}, 10.0),  # now starting in 2 (live 3, one period) is better
        ({1: 25.0, 2: 12.0}, 0.0),  # forming at all costs more than it saves
    ],
)
def test_priced_category_problem(price: dict[int, float], expected: float) -> None:
    energy = category_parts(read_instance(SHARED_TEAM))["energy"]
    result = solve_compact(
        SolveContext.of(energy, SolveOptions(formulation="compact")), formation_price=price
    )
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected)
    assert result.best_bound == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("workers", [1, 2])
def test_decomposition_prices_the_limit_in_processes_or_not(workers: int) -> None:
    result = solve_decomposed(SolveContext.of(read_instance(SHARED_TEAM)), workers=workers)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(26.0)
    assert result.best_bound == pytest.approx(26.0, abs=1e-6)
    assert result.iterations > 1  # the unpriced plans (32) broke the limit
    assert [o.lot.category_id for o in result.outcomes] == ["energy", "food"]
    assert [o.lot.start for o in result.outcomes] == [1, 2]
