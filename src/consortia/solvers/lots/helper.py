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

import numpy as np
import scipy.sparse as sp

from consortia.solvers.lots.exact import PieceConnectedPricer
from consortia.solvers.lots.examine import screen, search
from consortia.solvers.lots.settle import Window, settle

# (category, subproblem row, piece, member values w, windows, constant C)
Task = tuple[int, int, int, np.ndarray, Window, float]

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


def screen_batch(tasks: list[Task], stop_at: float) -> list[tuple[float, np.ndarray | None]]:
    """``examine.screen`` of each task (+inf and no seeds once past stop_at)."""
    out: list[tuple[float, np.ndarray | None]] = []
    for ci, _, piece, w, window, cost in tasks:
        if time.time() > stop_at:
            out.append((math.inf, None))
            continue
        out.append(screen(_pricer(ci, piece), w, window, cost))
    return out


def search_batch(
    tasks: list[tuple[Task, np.ndarray | None]], tol: float, stop_at: float
) -> list[np.ndarray | None]:
    """``examine.search`` of each (task, seeds)."""
    out: list[np.ndarray | None] = []
    for (ci, _, _, w, window, cost), seeds in tasks:
        if time.time() > stop_at:
            out.append(None)
            continue
        out.append(search(_GRAPHS[ci], _VOLUMES[ci], w, window, cost, tol, seeds))
    return out


def settle_batch(
    tasks: list[Task], tol: float, stop_at: float
) -> list[tuple[float, np.ndarray | None] | None]:
    """``settle.settle`` of each task (None once past stop_at: not settled)."""
    out: list[tuple[float, np.ndarray | None] | None] = []
    for ci, _, piece, w, window, cost in tasks:
        if time.time() > stop_at:
            out.append(None)
            continue
        out.append(settle(_pricer(ci, piece), w, window, cost, tol, stop_at))
    return out
