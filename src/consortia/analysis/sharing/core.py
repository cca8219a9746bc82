"""Is a split in the core? No sub-group may get more on its own than it is given."""

from __future__ import annotations

from dataclasses import dataclass

from consortia.analysis.sharing.game import Game

EXACT_CORE = 15
TOLERANCE = 1e-6


@dataclass(frozen=True)
class CoreCheck:
    in_core: bool
    certified: bool  # False when the lot is too large to check every sub-group
    worst: tuple[str, ...]  # the sub-group with the largest shortfall
    shortfall: float  # v(S) - x(S) for that sub-group (<= 0 when in the core)


def check_core(game: Game, shares: list[float]) -> CoreCheck:
    """Largest shortfall v(S) - sum_{o in S} x_o over sub-groups S of the lot."""
    n = game.n
    tol = TOLERANCE * max(1.0, abs(game.grand_value))
    if n > EXACT_CORE:
        # Too many sub-groups: check singletons and the lot minus one member only.
        masks = [1 << i for i in range(n)] + [game.full ^ (1 << i) for i in range(n)]
        certified = False
    else:
        masks = list(range(1, game.full))
        certified = True
    worst_mask, worst = 0, -float("inf")
    for mask in masks:
        gap = game.value(mask) - sum(shares[i] for i in range(n) if mask >> i & 1)
        if gap > worst:
            worst_mask, worst = mask, gap
    members = tuple(game.members[i] for i in range(n) if worst_mask >> i & 1)
    return CoreCheck(worst <= tol, certified, members, worst)
