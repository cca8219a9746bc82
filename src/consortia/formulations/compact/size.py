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
"""

from __future__ import annotations

from dataclasses import dataclass

from consortia.formulations.compact.index import ModelIndex

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
    return ModelEstimate(40 * len(idx.members) + 60 * len(idx.periods) + 200 * len(idx.slots))
