"""How large the compact model will be, known before it is built.

The compact model's nonzeros grow with its membership variables (each appears in
the packing, tier, rationality, timing and connectivity rows) and with its
period variables. Measured on the demo, `instances/small` and `instances/medium`
(nonzeros of the built model against the index sizes), the estimate
``40 x memberships + 60 x slot periods + 200 x slots`` is above the true count
by up to 2x, never below it, so decisions taken on it are cautious. Pyomo needs
about 500 bytes per nonzero to build and hand a model over (2.2-2.9 GiB for
5.2-7.2 M nonzeros on `instances/medium`), building costs about 4 us per
nonzero and HiGHS's root LP about 20 us (``benchmarks/RESULTS.md``).

Organizations' own formation limits (spec section 10) add one product row per
(organization, slot, period) that can bind, each with at most the slot's starts,
one ``ended``, the organization's joins and the slot's offers: counted as
``2 x horizon + 10`` nonzeros each (none on instances without such limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.own_formation_limits import own_limit_rows

BYTES_PER_NONZERO = 550.0
BUILD_SECONDS_PER_NONZERO = 4e-6
ROOT_LP_SECONDS_PER_NONZERO = 20e-6


@dataclass(frozen=True)
class ModelEstimate:
    nonzeros: int

    @property
    def gib(self) -> float:
        return self.nonzeros * BYTES_PER_NONZERO / 2**30

    @property
    def build_seconds(self) -> float:
        return self.nonzeros * BUILD_SECONDS_PER_NONZERO

    @property
    def root_lp_seconds(self) -> float:
        return self.nonzeros * ROOT_LP_SECONDS_PER_NONZERO


def estimate_compact(idx: ModelIndex) -> ModelEstimate:
    """A cautious estimate of the compact model's size over `idx`."""
    products = sum(len(slots) for slots in own_limit_rows(idx).values())
    per_product = 2 * idx.cands.inst.settings.horizon + 10
    return ModelEstimate(
        40 * len(idx.members)
        + 60 * len(idx.periods)
        + 200 * len(idx.slots)
        + per_product * products
    )
