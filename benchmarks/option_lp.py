"""How much a relaxation over shared options would tighten the slot-priced bound.

    python benchmarks/option_lp.py /work/big/sub/north_east --families pair,link,neighbour

The slot-priced bound (``formulations/slot_bound.py``) credits every demand pair its
best option — a lead level L (member counts n_lo..n_hi), an availability group and a
start σ, on the best offer serving the pair at the price of the level's largest
volume — at a share 1/n_hi of a formation, whatever the other pairs choose. This
script solves, with HiGHS, the LP over the same options (values at zero prices)

    max  Σ_{o,k} v_ok z_ok
    s.t. Σ_k z_ok ≤ 1                       each pair in one lot           (pair)
         z_ok ≤ x_k                          a lot of k holds o once        (link)
         n_lo x_k ≤ Σ_o z_ok ≤ n_hi x_k      member counts of k's lots      (link)
         Σ_{k forming in p} x_k ≤ W          central formation limit        (link)
         Σ_{k forming in p} z_ok / n_hi ≤ W  (without link: the slot shares)
         Σ_{k∋o forming in p} z_ok ≤ k(o)     own formation limits
         z_ok ≤ Σ_{j∈N(o)} z_jk              a member of a lot of ≥ 2 has a
                                             neighbour in it (n_lo ≥ 2)  (neighbour)

where x_k counts the lots of option k and z_ok says that pair o is in one. From a
plan, x_k = its lots at option k and z_ok = 1 for their members satisfy every row,
and each lot's net value less nothing is at most Σ v_ok over its members (the
slot-priced bound's argument at zero prices), so the LP's value bounds every plan.
Without the link and neighbour rows it is the slot-priced bound's Lagrangian dual
(without the bridge charge). The value printed as ``bound`` is recomputed from the
LP's row duals (any duals give a valid bound, whatever the solver's tolerances).

A measuring tool, not part of the solve: the LP has a variable per pair, option and
start (356,503 on a 210-body region) and HiGHS's interior point takes minutes.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import highspy
import numpy as np
import scipy.sparse as sp

from consortia import read_instance
from consortia.formulations.slot_bound import _Relaxation, slot_prices

FAMILIES = ("pair", "link", "neighbour")


def build(rel: _Relaxation, families: set[str]):
    """(A, row lower, row upper, cost, column upper) of the LP of the docstring."""
    charges = rel.charges(np.zeros(rel.size))
    horizon, limit = rel.horizon, rel.limit
    own_row = {o: i for i, o in enumerate(rel.own_orgs)}
    values, pairs, option, own = [], [], [], []
    lead, start, fewest, most, bound_x = [], [], [], [], []
    neighbour_blocks = []
    pair_base = z_base = 0
    for cat in rel.categories:
        n = len(cat.ready)
        rows = np.array([own_row.get(o, -1) for o in cat.orgs])
        for opt in cat.options:
            found = rel.option_values(cat, opt, charges)
            if found is None:
                continue
            starts, value, _ = found
            needs = "neighbour" in families and cat.graph is not None and opt.fewest >= 2
            for j, sigma in enumerate(starts.tolist()):
                v = value[:, j]
                keep = v > 0
                if not keep.any():
                    continue
                if needs:  # the finite neighbours of positive pairs, as bridges
                    keep |= (cat.graph @ (v > 0).astype(float) > 0) & np.isfinite(v)
                idx = np.nonzero(keep)[0]
                k = len(lead)
                lead.append(opt.lead)
                start.append(sigma)
                fewest.append(opt.fewest)
                most.append(opt.members)
                bound_x.append(n / max(1, opt.fewest))
                values.append(v[idx])
                pairs.append(pair_base + idx)
                option.append(np.full(len(idx), k))
                own.append(rows[idx])
                if needs:
                    block = sp.identity(len(idx), format="csr") - cat.graph[idx][:, idx]
                    neighbour_blocks.append((z_base, block.tocoo()))
                z_base += len(idx)
        pair_base += n
    v_all = np.concatenate(values)
    p_all, k_all, o_all = np.concatenate(pairs), np.concatenate(option), np.concatenate(own)
    m, nk = len(v_all), len(lead)
    lead_k, start_k = np.array(lead), np.array(start)
    link = "link" in families
    ncol = m + (nk if link else 0)
    zs = np.arange(m)
    blocks, lo, hi = [], [], []

    def rows_of(r, c, v, shape_rows, lower, upper):
        blocks.append(sp.csr_matrix((v, (r, c)), shape=(shape_rows, ncol)))
        lo.append(np.broadcast_to(np.asarray(lower, float), shape_rows))
        hi.append(np.broadcast_to(np.asarray(upper, float), shape_rows))

    rows_of(p_all, zs, np.ones(m), pair_base, -math.inf, 1.0)
    forming = [(lead_k[k_all] > step) for step in range(int(lead_k.max(initial=0)))]
    if link:
        xs = m + np.arange(nk)
        rows_of(
            np.concatenate([zs, zs]), np.concatenate([zs, m + k_all]),
            np.concatenate([np.ones(m), -np.ones(m)]), m, -math.inf, 0.0,
        )  # fmt: skip
        windows = ((np.array(most), -math.inf, 0.0), (np.array(fewest), 0.0, math.inf))
        for coef, lower, upper in windows:
            rows_of(
                np.concatenate([k_all, np.arange(nk)]), np.concatenate([zs, xs]),
                np.concatenate([np.ones(m), -coef.astype(float)]), nk, lower, upper,
            )  # fmt: skip
        if limit is not None:
            steps = range(int(lead_k.max(initial=0)))
            c = np.concatenate([xs[lead_k > s] for s in steps])
            r = np.concatenate([start_k[lead_k > s] + s - 1 for s in steps])
            rows_of(r, c, np.ones(len(c)), horizon, -math.inf, float(limit))
    elif limit is not None:
        share = 1.0 / np.array(most, float)[k_all]
        r = np.concatenate([start_k[k_all][f] + s - 1 for s, f in enumerate(forming)])
        c = np.concatenate([zs[f] for f in forming])
        v = np.concatenate([share[f] for f in forming])
        rows_of(r, c, v, horizon, -math.inf, float(limit))
    if rel.own_orgs:
        limited = [f & (o_all >= 0) for f in forming]
        r = np.concatenate(
            [o_all[f] * horizon + start_k[k_all][f] + s - 1 for s, f in enumerate(limited)]
        )
        c = np.concatenate([zs[f] for f in limited])
        count = len(rel.own_orgs) * horizon
        rows_of(r, c, np.ones(len(c)), count, -math.inf, np.repeat(rel.own_limit, horizon))
    if neighbour_blocks:
        r = np.concatenate([b.row + base for base, b in neighbour_blocks])
        c = np.concatenate([b.col + base for base, b in neighbour_blocks])
        v = np.concatenate([b.data for _, b in neighbour_blocks])
        used = np.unique(r)
        rows_of(np.searchsorted(used, r), c, v, len(used), -math.inf, 0.0)
    a = sp.vstack(blocks).tocsc()
    cost = np.concatenate([v_all, np.zeros(ncol - m)])
    upper = np.concatenate([np.ones(m), np.array(bound_x)[: ncol - m]])
    return a, np.concatenate(lo), np.concatenate(hi), cost, upper


def solve(a, lo, hi, cost, upper) -> tuple[float, float, str]:
    """(HiGHS's value, the bound from its row duals, status) of max cost·x."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(a.shape[1]), upper
    lp.row_lower_, lp.row_upper_ = lo, hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.sense_ = highspy.ObjSense.kMaximize
    h.passModel(lp)
    h.run()
    y = np.array(h.getSolution().row_dual)
    # a dual of the right sign for each finite side; then max c.x <= Σ rhs y + Σ u (c - A'y)+
    y = np.where(np.isinf(hi), np.minimum(y, 0.0), np.where(np.isinf(lo), np.maximum(y, 0.0), y))
    rhs = np.where(y > 0, hi, np.where(y < 0, lo, 0.0))
    reduced = cost - a.T @ y
    bound = float(rhs @ y) + float(np.maximum(reduced, 0.0) @ upper)
    status = h.modelStatusToString(h.getModelStatus())
    return h.getInfo().objective_function_value, bound, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("--families", default="pair,link,neighbour")
    parser.add_argument("--slot-seconds", type=float, default=30.0)
    args = parser.parse_args()
    families = {f for f in args.families.split(",") if f}
    unknown = families - set(FAMILIES)
    if unknown:
        parser.error(f"unknown families: {', '.join(sorted(unknown))}")
    inst = read_instance(args.instance)
    started = time.perf_counter()
    found = slot_prices(inst, 0.0, args.slot_seconds)
    print(f"slot-priced bound {found.bound:,.0f} ({time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    a, lo, hi, cost, upper = build(_Relaxation(inst), families)
    built = time.perf_counter() - started
    value, bound, status = solve(a, lo, hi, cost, upper)
    print(
        f"option LP ({', '.join(sorted(families))}): {a.shape[1]:,} columns, {a.shape[0]:,} rows,"
        f" built in {built:.0f} s, solved in {time.perf_counter() - started - built:.0f} s"
        f" ({status}): value {value:,.0f}, bound from its duals {bound:,.0f}"
    )


if __name__ == "__main__":
    main()
