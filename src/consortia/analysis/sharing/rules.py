"""Allocation rules: each gives every member its share of v(G).

* ``equal_price`` — today's rule: every member pays the lot's all-in unit price
  (tier cost and the offer's fixed cost spread per unit; surcharges and its own
  coordination cost are its own).
* ``volume`` and ``spend`` — v(G) in proportion to quantity or to baseline spend.
* ``shapley`` — average marginal contribution over all joining orders; exact by
  enumeration of coalitions up to ``EXACT_SHAPLEY`` members, otherwise estimated
  from random orders with its standard error.
* ``nucleolus`` — lexicographically maximises the smallest excesses
  x(S) − v(S) by a sequence of LPs (HiGHS); over imputations when they exist,
  else the pre-nucleolus.
"""

from __future__ import annotations

import math
import random
from math import factorial

import highspy
import numpy as np

from consortia.analysis.sharing.game import Game, LotGame
from consortia.backend.highs import new_highs, run

EXACT_SHAPLEY = 15
EXACT_NUCLEOLUS = 12
RULES = ("equal_price", "volume", "spend", "shapley", "nucleolus")


def equal_price(game: LotGame) -> list[float]:
    out = game.outcome
    inst = game.inst
    c = out.lot.category_id
    fixed = inst.offer[(out.lot.supplier_id, c)].fixed_cost
    kappa = inst.category[c].coordination_cost
    shares = []
    for o in game.members:
        q = inst.demand_of[(o, c)][0]
        shares.append(out.weight * out.member_saving[o] - fixed * q / out.volume - kappa)
    return shares


def proportional(game: LotGame, weights: list[float]) -> list[float]:
    total = math.fsum(weights)
    return [game.grand_value * w / total for w in weights]


def by_volume(game: LotGame) -> list[float]:
    c = game.outcome.lot.category_id
    return proportional(game, [game.inst.demand_of[(o, c)][0] for o in game.members])


def by_spend(game: LotGame) -> list[float]:
    c = game.outcome.lot.category_id
    return proportional(
        game, [q * b for q, b in (game.inst.demand_of[(o, c)] for o in game.members)]
    )


def shapley_exact(game: Game) -> list[float]:
    """phi_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! (v(S+i) - v(S))."""
    n = game.n
    weight = [factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)]
    values = [game.value(mask) for mask in range(1 << n)]
    shares = [0.0] * n
    for mask in range(1 << n):
        k = mask.bit_count()
        if k == n:
            continue
        for i in range(n):
            if not mask >> i & 1:
                shares[i] += weight[k] * (values[mask | 1 << i] - values[mask])
    return shares


def shapley_sampled(
    game: Game, samples: int = 2000, seed: int = 0
) -> tuple[list[float], list[float]]:
    """Shapley value estimated from random joining orders, with standard errors."""
    rng = random.Random(seed)
    n = game.n
    total = [0.0] * n
    square = [0.0] * n
    order = list(range(n))
    for _ in range(samples):
        rng.shuffle(order)
        mask = 0
        before = 0.0
        for i in order:
            mask |= 1 << i
            after = game.value(mask)
            gain = after - before
            total[i] += gain
            square[i] += gain * gain
            before = after
    mean = [t / samples for t in total]
    error = [
        math.sqrt(max(0.0, sq / samples - m * m) / max(1, samples - 1))
        for sq, m in zip(square, mean, strict=True)
    ]
    return mean, error


def nucleolus(game: Game) -> list[float]:
    """The nucleolus by sequential LPs, fixing coalitions with positive duals."""
    n = game.n
    if n == 1:
        return [game.grand_value]
    full = game.full
    coalitions = list(range(1, full))
    value = {mask: game.value(mask) for mask in coalitions}
    singles = [game.value(1 << i) for i in range(n)]
    imputations = math.fsum(singles) <= game.grand_value + 1e-9
    fixed: list[tuple[int, float]] = []  # (coalition, its excess)
    free = list(coalitions)
    x = [game.grand_value / n] * n
    for _ in range(len(coalitions)):
        h = new_highs()
        # columns: x_0..x_{n-1}, eps
        lower = np.array([singles[i] if imputations else -math.inf for i in range(n)] + [-math.inf])
        h.addVars(n + 1, lower, np.full(n + 1, math.inf))
        h.changeColCost(n, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.addRow(game.grand_value, game.grand_value, n, np.arange(n, dtype=np.int32), np.ones(n))
        for mask, excess in fixed:
            cols = np.array([i for i in range(n) if mask >> i & 1], dtype=np.int32)
            rhs = value[mask] + excess
            h.addRow(rhs, rhs, len(cols), cols, np.ones(len(cols)))
        for mask in free:  # x(S) - eps >= v(S)
            idx = [i for i in range(n) if mask >> i & 1]
            h.addRow(
                value[mask],
                math.inf,
                len(idx) + 1,
                np.array(idx + [n], dtype=np.int32),
                np.array([1.0] * len(idx) + [-1.0]),
            )
        run(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        sol = h.getSolution()
        x = list(sol.col_value[:n])
        eps = sol.col_value[n]
        duals = sol.row_dual[1 + len(fixed) :]
        newly = [mask for mask, d in zip(free, duals, strict=True) if abs(d) > 1e-9]
        if not newly:  # the objective gradient needs support; guard against numerics
            newly = [
                mask
                for mask in free
                if abs(sum(x[i] for i in range(n) if mask >> i & 1) - value[mask] - eps) < 1e-7
            ]
        fixed += [(mask, eps) for mask in newly]
        chosen = set(newly)
        free = [mask for mask in free if mask not in chosen]
        rows = [[1.0] * n] + [[float(mask >> i & 1) for i in range(n)] for mask, _ in fixed]
        if np.linalg.matrix_rank(np.array(rows)) >= n or not free:
            break
    return x
