"""The solve's share of a command's clock (analysis/runs.py)."""

from __future__ import annotations

import pytest

from consortia.analysis.runs import solve_deadline
from consortia.solvers.clock import Deadline


@pytest.mark.parametrize(
    ("pairs", "solve_seconds"),
    [
        (0, 95.0),  # 5% kept for checking and writing the plan
        (10_000, 95.0),  # 2 s per 10,000 pairs is less than the 5%
        (236_080, 100.0 - 47.216),  # a national instance keeps 0.2 ms per pair
        (1_000_000, 50.0),  # never more than half of the time
    ],
)
def test_checking_and_writing_keep_a_share_or_a_time_per_pair(
    pairs: int, solve_seconds: float
) -> None:
    left = solve_deadline(Deadline(100.0), pairs).remaining()
    assert left == pytest.approx(solve_seconds, abs=0.2)


def test_without_a_limit_the_solve_has_none() -> None:
    assert solve_deadline(Deadline(None), 236_080).remaining() is None
