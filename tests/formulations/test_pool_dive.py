"""The dive over a large pool's LP (formulations/pool_dive.py), on set packings
small enough to enumerate."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import highspy
import numpy as np
import pytest

from consortia.formulations.pool_dive import _round, dive_pool


def _pool(costs: list[float], rows: list[tuple[list[int], list[float], float]]) -> highspy.Highs:
    """max costs.x s.t. each row (columns, coefficients, upper), 0 <= x <= 1."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    n = len(costs)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(costs, dtype=float))
    for cols, values, upper in rows:
        h.addRow(-highspy.kHighsInf, upper, len(cols), np.array(cols, np.int32), np.array(values))
    return h


def _columns(n: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(lot=j) for j in range(n)]


def _fits(chosen: list[int], rows: list[tuple[list[int], list[float], float]]) -> bool:
    return all(
        sum(v for c, v in zip(cols, values, strict=True) if c in chosen) <= upper + 1e-9
        for cols, values, upper in rows
    )


def _optimum(costs: list[float], rows) -> float:
    best = 0.0
    for k in range(len(costs) + 1):
        for chosen in itertools.combinations(range(len(costs)), k):
            if _fits(list(chosen), rows):
                best = max(best, sum(costs[j] for j in chosen))
    return best


def test_an_odd_cycle_gives_one_column() -> None:
    """Three columns pairwise sharing a row: the LP takes each at 1/2 (value 1.5);
    the dive keeps one, the optimum (value 1)."""
    rows = [([0, 1], [1.0, 1.0], 1.0), ([1, 2], [1.0, 1.0], 1.0), ([0, 2], [1.0, 1.0], 1.0)]
    plan = dive_pool(_pool([1.0, 1.0, 1.0], rows), _columns(3), [], 10.0)
    assert len(plan) == 1


@pytest.mark.parametrize("seed", range(40))
def test_the_dive_keeps_every_row_and_never_loses_its_start(seed: int) -> None:
    """Random packings (pair rows, a formation-like row with upper 2, a capacity row):
    the plan keeps every row, is worth at least its start and at most the optimum."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 11))
    costs = rng.uniform(1.0, 10.0, n).round(2).tolist()
    rows = []
    for _ in range(int(rng.integers(2, 7))):
        cols = sorted(rng.choice(n, size=int(rng.integers(2, n + 1)), replace=False).tolist())
        rows.append((cols, [1.0] * len(cols), 1.0))
    cols = sorted(rng.choice(n, size=min(n, 5), replace=False).tolist())
    rows.append((cols, [1.0] * len(cols), 2.0))
    volume = rng.uniform(1.0, 5.0, n).round(1)
    rows.append((list(range(n)), volume.tolist(), float(volume.sum()) / 2))
    start: list[int] = []
    for j in rng.permutation(n).tolist():
        if _fits([*start, j], rows):
            start.append(j)
    columns = _columns(n)
    plan = [
        o.lot for o in dive_pool(_pool(costs, rows), columns, [columns[j] for j in start], 10.0)
    ]
    value = sum(costs[j] for j in plan)
    assert _fits(plan, rows)
    assert value >= sum(costs[j] for j in start) - 1e-9
    assert value <= _optimum(costs, rows) + 1e-9


def test_the_rounding_keeps_held_columns_first_and_every_row() -> None:
    """Columns 0 and 1 share a row: held column 1 is kept although 0 has the larger
    x · value; column 2 fits beside it."""
    import scipy.sparse as sp

    matrix = sp.csc_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    kept = _round(
        matrix,
        np.array([1.0, 2.0]),
        np.array([0.9, 0.5, 0.5]),
        np.array([5.0, 1.0, 1.0]),
        np.array([1]),
    )
    assert kept.tolist() == [1, 2]
