"""The search over a non-decreasing sequence F(1) <= F(2) <= ... <= F(K) for the first
key that reaches a target (``models/target.md``).

Keys are periods (F(P): the most any plan can have saved by period P) or central
formation limits (F_W(P) at a fixed deadline P). Both sequences are monotone for
the same reason: a plan for key k stays feasible for every key above it, so

- a plan found at j counts at every k >= j: with the same value when the key is a
  limit, and gaining its savings per period once for each period when the key is a
  period (all its lots are live by j, so by k it has saved (k - j) periods more);
- a proven bound at j bounds every k <= j.

With a plan value p(k) and a bound b(k) carried this way, the first key reaching
the target lies in [lo, hi]: lo is one above the last key whose bound is below
the target, hi the first key whose plan reaches it (none: no plan reaches it
yet). It is decided when lo = hi, and unreachable when the bound at K is below
the target. Keys inside the range are solved in bisection order; a key whose
solve left the range open may be solved once more (with more time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    """A plan found at a key: its value there and what it saves per period."""

    value: float
    rate: float


class Ladder:
    """What is known of F(1..size) against `target`; `slope`: keys are periods."""

    def __init__(self, size: int, target: float, slope: bool) -> None:
        self.size, self.target, self.slope = size, target, slope
        self.tolerance = 1e-9 * max(1.0, abs(target))
        self.plans: dict[int, Known] = {}
        self.bounds: dict[int, float] = {}
        self.tries: dict[int, int] = {}  # solves started per key

    # --- what is known ---------------------------------------------------------

    def add_plan(self, key: int, value: float, rate: float = 0.0) -> None:
        old = self.plans.get(key)
        if old is None or value >= old.value:
            self.plans[key] = Known(value, rate)

    def add_bound(self, key: int, bound: float) -> None:
        if math.isnan(bound):
            return
        self.bounds[key] = min(self.bounds.get(key, math.inf), bound)

    def lifted(self, source: int, key: int) -> float:
        """The value at `key` >= `source` of the plan found at `source`."""
        known = self.plans[source]
        return known.value + (key - source) * known.rate if self.slope else known.value

    def plan_source(self, key: int) -> int | None:
        """The key whose plan is best at `key` (None: no plan known for it)."""
        sources = [j for j in self.plans if j <= key]
        if not sources:
            return None
        return max(sources, key=lambda j: (self.lifted(j, key), j))

    def plan_at(self, key: int) -> float | None:
        source = self.plan_source(key)
        return None if source is None else self.lifted(source, key)

    def bound_at(self, key: int) -> float:
        """The least bound proven at `key` or above (inf: none)."""
        return min([b for j, b in self.bounds.items() if j >= key], default=math.inf)

    def reached(self, key: int) -> bool:
        plan = self.plan_at(key)
        return plan is not None and plan >= self.target - self.tolerance

    def short(self, key: int) -> bool:
        return self.bound_at(key) < self.target - self.tolerance

    def span(self) -> tuple[int, int | None]:
        """[lo, hi] of the first key reaching the target (hi None: no plan reaches it;
        lo = size + 1: none can)."""
        shorts = [k for k in range(1, self.size + 1) if self.short(k)]
        lo = max(shorts) + 1 if shorts else 1
        hi = next((k for k in range(1, self.size + 1) if self.reached(k)), None)
        return lo, hi

    def decided(self) -> bool:
        lo, hi = self.span()
        return lo == hi or (hi is None and lo > self.size)

    def exact(self, key: int, gap: float) -> bool:
        """Plan and bound at `key` within the relative `gap`."""
        plan, bound = self.plan_at(key), self.bound_at(key)
        if bound == -math.inf:
            return True
        if plan is None or math.isinf(bound):
            return False
        return bound - plan <= max(gap * max(abs(bound), abs(plan)), 1e-9 * max(1.0, abs(plan)))

    # --- what to solve next ----------------------------------------------------

    def start(self, key: int) -> None:
        self.tries[key] = self.tries.get(key, 0) + 1

    def next_key(self, running: set[int], top_first: bool = False, tries: int = 0) -> int | None:
        """The key whose solve narrows the range most: inside the range, solved
        `tries` times before (0: never), farthest from the range's ends and from the
        keys being solved (bisection)."""
        lo, hi = self.span()
        if lo == hi or (hi is None and lo > self.size):
            return None
        end = self.size if hi is None else hi - 1
        choices = [
            k for k in range(lo, end + 1) if self.tries.get(k, 0) == tries and k not in running
        ]
        if not choices:
            return None
        if top_first and hi is None and self.size in choices:
            return self.size
        walls = sorted({lo - 1, end + 1, *running})

        def room(k: int) -> int:
            return min(abs(k - w) for w in walls)

        return max(choices, key=lambda k: (room(k), -k))

    def unsettled(self, gap: float) -> list[int]:
        """Keys never solved whose plan and bound still differ, lowest first."""
        return [
            k for k in range(1, self.size + 1) if k not in self.tries and not self.exact(k, gap)
        ]
