"""The pricing subproblems of a category: one per (piece, start sigma, lead level L).

With the piece (offer s, tier k), the formation start sigma and the lead level L
fixed, everything but the member set is a constant:

- the member count n lies in the window [n_lo(L), n_hi(L)] of counts whose lead
  time ``spec.lead_time`` is L (intersected with [min_members, max_members]);
- live = max(sigma + L, available_from) <= T, and the live weight M = M(live);
- the lot forms in periods sigma..sigma+L-1;
- members are the piece's eligible organizations with ready <= sigma (the
  pair's readiness r(o,c) of spec section 9);
- the volume V = sum d_o lies in the piece's window [lo_k, hi_k].

Subproblems that cannot hold a lot at all (too few eligible members, the volume
window out of reach of any member set in the count window) are dropped here once.
Every lot of the spec lies in at least one remaining subproblem, valued there at
most at its exact value (exactly, in the subproblem of its own tier and start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consortia.data.instance import Instance
from consortia.rules.spec import lead_time
from consortia.solvers.lots.data import CategoryData

VOL_EPS = 1e-9


@dataclass
class Subproblems:
    piece: np.ndarray  # int, index into CategoryData.pieces
    offer: np.ndarray  # int, index into CategoryData.offers
    sigma: np.ndarray  # int, formation start
    lead: np.ndarray  # int, L
    nlo: np.ndarray
    nhi: np.ndarray
    vlo: np.ndarray
    vhi: np.ndarray
    weight: np.ndarray  # M(live)
    const: np.ndarray  # fixed cost + M * alpha_k (duals excluded)

    def __len__(self) -> int:
        return len(self.piece)


def lead_levels(data: CategoryData, horizon: int) -> list[tuple[int, int, int]]:
    """(L, n_lo, n_hi) for every lead level reachable by a lot of the category."""
    cat = data.cat
    largest = data.n if cat.max_members is None else min(cat.max_members, data.n)
    levels: dict[int, list[int]] = {}
    earliest = int(data.ready.min())
    for n in range(cat.min_members, largest + 1):
        lead = lead_time(cat, n)
        if earliest + lead > horizon:
            break  # lead never falls as n grows
        levels.setdefault(lead, []).append(n)
    return [(lead, ns[0], ns[-1]) for lead, ns in sorted(levels.items())]


def build_subproblems(inst: Instance, data: CategoryData) -> Subproblems:
    horizon = inst.settings.horizon
    levels = lead_levels(data, horizon)
    cols: dict[str, list] = {k: [] for k in Subproblems.__dataclass_fields__}
    weights = {p: inst.live_weight(p) for p in range(1, horizon + 1)}
    for j, piece in enumerate(data.pieces):
        od = data.offers[piece.offer]
        elig_ready = np.sort(data.ready[piece.eligible])
        d_elig = data.d[piece.eligible]
        for sigma in range(int(elig_ready[0]), horizon + 1):
            count = int(np.searchsorted(elig_ready, sigma, side="right"))
            mask = data.ready[piece.eligible] <= sigma
            ds = np.sort(d_elig[mask])
            prefix_small = np.concatenate(([0.0], np.cumsum(ds)))
            prefix_big = np.concatenate(([0.0], np.cumsum(ds[::-1])))
            for lead, n_lo, n_hi in levels:
                live = max(sigma + lead, od.avail)
                if live > horizon:
                    break
                hi_n = min(n_hi, count)
                if hi_n < n_lo:
                    continue
                # the volume window must be reachable by some count in [n_lo, hi_n]
                if prefix_big[hi_n] < piece.lo * (1 - VOL_EPS) - VOL_EPS:
                    continue
                if prefix_small[n_lo] > piece.hi * (1 + VOL_EPS) + VOL_EPS:
                    continue
                m = weights[live]
                cols["piece"].append(j)
                cols["offer"].append(piece.offer)
                cols["sigma"].append(sigma)
                cols["lead"].append(lead)
                cols["nlo"].append(n_lo)
                cols["nhi"].append(hi_n)
                # a little wider than the spec's tolerances (tier choice, rule 6)
                cols["vlo"].append(piece.lo * (1 - VOL_EPS) - VOL_EPS)
                cols["vhi"].append(piece.hi * (1 + VOL_EPS) + VOL_EPS)
                cols["weight"].append(m)
                cols["const"].append(od.fixed + m * piece.alpha)
    ints = {"piece", "offer", "sigma", "lead", "nlo", "nhi"}
    return Subproblems(
        **{k: np.array(v, dtype=np.int64 if k in ints else float) for k, v in cols.items()}
    )
