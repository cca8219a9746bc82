"""Per-category numpy data of the lot pricing (no duals here: built once per solve).

For a category c with organizations o = 0..N-1 (those with demand in c that could
still form a lot before the horizon) we keep d_o, b_o, ready_o (the pair's
effective readiness r(o,c) of spec section 9), the organizations whose own
formation limit can bind (spec section 10) and, per offer s, the served mask, the
surcharges h_os, the capacity, available_from and fixed cost.

Each offer's price schedule is cut into *pieces* k with an affine cost
``alpha_k + pi_k V`` valid on a volume window ``[lo_k, hi_k]``:

- all-units tier k: alpha = 0, price pi_k, window [q_k, cap]. A lot whose volume
  reaches tier k' > k is priced in piece k at pi_k >= pi_k' (an under-valuation),
  and the lot's exact value is met in piece k(V); so max over pieces is exact.
- incremental segment k: alpha_k = cost(q_k) - pi_k q_k, window [q_k, min(q_{k+1},
  cap)]. cost(V) = min_k alpha_k + pi_k V (concave), with equality on segment k.

Member filter per piece (individual rationality, rule 9; regions, rule 4):
all-units needs pi_k + h_os <= b_o (exact, since the price is pi_k on the tier);
incremental needs alpha_k / hi_k + pi_k + h_os <= b_o, a necessary condition for
any volume in the segment (the *relaxed* filter: real columns are re-checked by
``plan.price_lot``). Both filters carry the spec's 1e-9 tolerance plus a margin,
so they never exclude a member the spec would accept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from consortia.data.instance import Category, Instance, Offer

TOL = 1e-9
MARGIN = 1e-7  # extra relative slack on filters: a filter may only err towards admitting


@dataclass
class Piece:
    offer: int  # index into CategoryData.offers
    k: int  # tier index
    lo: float
    hi: float
    price: float
    alpha: float
    eligible: np.ndarray  # bool[N]: served and (relaxed) individually rational
    value: np.ndarray  # float[N]: d_o (b_o - h_os - price), per period


@dataclass
class OfferData:
    offer: Offer
    served: np.ndarray  # bool[N]
    h: np.ndarray  # float[N]
    cap: float
    avail: int
    fixed: float


@dataclass
class CategoryData:
    cat_id: str
    cat: Category
    orgs: list[str]
    d: np.ndarray
    b: np.ndarray
    ready: np.ndarray  # int: r(o,c), the pair's readiness (spec section 9)
    offers: list[OfferData]
    pieces: list[Piece]
    capped: np.ndarray  # int: organizations with a binding own formation limit (section 10)

    @property
    def n(self) -> int:
        return len(self.orgs)


def _pieces(inst: Instance, k_off: int, od: OfferData, d, b, reach: float) -> list[Piece]:
    off = od.offer
    tiers = off.tiers
    out = []
    spent = 0.0
    ir = inst.settings.individually_rational
    limit = b * (1 + MARGIN) + TOL * np.maximum(1.0, b)
    for k, (q, p) in enumerate(tiers):
        upper = tiers[k + 1][0] if k + 1 < len(tiers) else math.inf
        if off.discount == "incremental":
            alpha = spent - p * q
            hi = min(upper, od.cap)
        else:
            alpha = 0.0
            hi = od.cap
        if upper < math.inf:
            spent += p * (upper - q)
        lo = q
        if lo > reach * (1 + 1e-9) or lo > hi * (1 + 1e-9):
            continue
        if ir:
            avg = p + (alpha / hi if (alpha > 0 and math.isfinite(hi)) else 0.0)
            eligible = od.served & (avg + od.h <= limit)
        else:
            eligible = od.served.copy()
        if not eligible.any():
            continue
        out.append(Piece(k_off, k, lo, hi, p, max(alpha, 0.0), eligible, d * (b - od.h - p)))
    return out


def build_category_data(inst: Instance) -> list[CategoryData]:
    """Numpy data of every category that can hold a lot."""
    horizon = inst.settings.horizon
    by_cat: dict[str, list[tuple[str, float, float]]] = {}
    for (o, c), (q, bb) in inst.demand_of.items():
        by_cat.setdefault(c, []).append((o, q, bb))
    order = inst.org_index
    out = []
    for cat_id, cat in inst.category.items():
        rows = sorted(by_cat.get(cat_id, []), key=lambda r: order[r[0]])
        rows = [r for r in rows if inst.pair_ready[(r[0], cat_id)] + cat.base_lead <= horizon]
        offers = [o for o in inst.offers_in[cat_id] if o.available_from <= horizon]
        if not rows or not offers:
            continue
        orgs = [r[0] for r in rows]
        d = np.array([r[1] for r in rows], dtype=float)
        b = np.array([r[2] for r in rows], dtype=float)
        ready = np.array([inst.pair_ready[(o, cat_id)] for o in orgs], dtype=np.int64)
        own_limit = inst.binding_org_capacity
        capped = np.array([i for i, o in enumerate(orgs) if o in own_limit], dtype=np.int64)
        regions = [inst.region[o] for o in orgs]
        ods: list[OfferData] = []
        pieces: list[Piece] = []
        for off in offers:
            served = np.array([off.serves(r) for r in regions], dtype=bool)
            if not served.any():
                continue
            h = np.array(
                [inst.surcharge.get((o, off.supplier_id, cat_id), 0.0) for o in orgs], dtype=float
            )
            od = OfferData(off, served, h, off.capacity, off.available_from, off.fixed_cost)
            reach = min(off.capacity, float(d[served].sum()))
            ps = _pieces(inst, len(ods), od, d, b, reach)
            if not ps:
                continue
            ods.append(od)
            pieces += ps
        if pieces:
            out.append(
                CategoryData(
                    cat_id,
                    cat,
                    orgs,
                    d,
                    b,
                    ready,
                    ods,
                    pieces,
                    capped,
                )
            )
    return out
