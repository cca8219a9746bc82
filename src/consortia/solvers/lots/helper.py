"""The helper process of the connected lot generation.

On a machine with two cores or more, a ``spawn``-started process (HiGHS keeps
threads a forked child would not have) takes a share of the connected pricing:
screens and searches in the rounds, settling in the proof phase. It builds its
own pricers, with their own cuts, from the graphs, eligibility and volumes it was
started with; each task carries the subproblem's values, windows and constant.
Results come back in the order of the tasks; past `stop_at` (``time.time()``) the
rest of a batch is answered with "nothing learned".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.exact import PieceConnectedPricer
from consortia.solvers.lots.examine import Screened, resolve, screen, search
from consortia.solvers.lots.settle import Settled, Window

# (category, subproblem row, piece, member values w, windows, constant C)
Task = tuple[int, int, int, np.ndarray, Window, float]

T = TypeVar("T")
R = TypeVar("R")
L = TypeVar("L")

_GRAPHS: list[sp.csr_matrix] = []
_ELIGIBLE: dict[tuple[int, int], np.ndarray] = {}
_VOLUMES: list[np.ndarray] = []
_PRICERS: dict[tuple[int, int], PieceConnectedPricer] = {}


def start_helper(
    graphs: list[sp.csr_matrix],
    eligible: dict[tuple[int, int], np.ndarray],
    volumes: list[np.ndarray],
) -> None:
    """Initializer of the helper process."""
    _GRAPHS[:] = graphs
    _ELIGIBLE.clear()
    _ELIGIBLE.update(eligible)
    _VOLUMES[:] = volumes
    _PRICERS.clear()


def _pricer(ci: int, piece: int) -> PieceConnectedPricer:
    key = (ci, piece)
    if key not in _PRICERS:
        _PRICERS[key] = PieceConnectedPricer(_GRAPHS[ci], _ELIGIBLE[key], _VOLUMES[ci])
    return _PRICERS[key]


def _until(stop_at: float, items: list[T], work: Callable[[T], R], late: L) -> list[R | L]:
    """work(item) for each item, `late` for every item once past stop_at."""
    return [late if time.time() > stop_at else work(item) for item in items]


def screen_batch(tasks: list[Task], stop_at: float) -> list[Screened]:
    """``examine.screen`` of each task (+inf, no seeds and no certificate once past
    stop_at)."""
    return _until(
        stop_at,
        tasks,
        lambda t: screen(_pricer(t[0], t[2]), t[3], t[4], t[5]),
        (math.inf, None, None),
    )


def search_batch(
    tasks: list[tuple[Task, np.ndarray | None]], tol: float, stop_at: float
) -> list[np.ndarray | None]:
    """``examine.search`` of each (task, seeds) (None once past stop_at)."""

    def one(item: tuple[Task, np.ndarray | None]) -> np.ndarray | None:
        (ci, _, _, w, window, cost), seeds = item
        return search(_GRAPHS[ci], _VOLUMES[ci], w, window, cost, tol, seeds)

    return _until(stop_at, tasks, one, None)


def settle_batch(
    tasks: list[Task], tol: float, stop_at: float, patience: float = 1.0
) -> list[Settled | None]:
    """``examine.resolve`` of each task (None once past stop_at: not settled)."""
    return _until(
        stop_at,
        tasks,
        lambda t: resolve(_pricer(t[0], t[2]), t[3], t[4], t[5], tol, stop_at, patience),
        None,
    )
