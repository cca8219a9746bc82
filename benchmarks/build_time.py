"""Model building time: the Pyomo reference against the array builder.

    python benchmarks/build_time.py --facilities 250 --customers 1000 --seed 1
    python benchmarks/build_time.py --instance instances/tiny/capacity

For each instance (a random single-source facility-location instance mapped as
in ``consortia import cflp``, or an instance folder where the offer model is
exact) it times, for the offer-indexed model:

- ``index_s``: candidate sets and the offer index (shared by both builders);
- ``pyomo_s``: Pyomo model plus hand-off to HiGHS (standard-form compiler);
- ``arrays_s``: array assembly plus hand-off (``offer_arrays.py``);
- ``pass_s``: only passing the finished arrays to a fresh highspy model — the
  floor any builder pays ("assembling with numpy and passing to highspy");
- ``readback_s`` and ``solve_s``: a solve of ``--solve-seconds`` with the array
  builder, reading the plan back from the column values.

and prints one Markdown row per instance.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import highspy
import numpy as np

from consortia import SolveOptions, read_instance
from consortia.backend.highs import new_highs, to_highs
from consortia.data.cflp import CFLP, cflp_tables
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.formulations.offers.arrays import offer_arrays
from consortia.formulations.offers.model import (
    build_offer_index,
    build_offer_model,
    offer_model_applies,
)
from consortia.solvers.base import SolveContext
from consortia.solvers.offers import OFFERS


def random_cflp(facilities: int, customers: int, seed: int) -> CFLP:
    """Points in the unit square; serving cost = distance x demand x 100; total
    capacity three times the demand."""
    rng = random.Random(seed)
    fac = [(rng.random(), rng.random()) for _ in range(facilities)]
    cus = [(rng.random(), rng.random()) for _ in range(customers)]
    demand = [float(rng.randint(5, 35)) for _ in range(customers)]
    capacity = [3.0 * sum(demand) / facilities * rng.uniform(0.7, 1.3) for _ in range(facilities)]
    fixed = [float(rng.randint(500, 1500)) for _ in range(facilities)]
    cost = [
        [
            round(100 * d * ((fx - cx) ** 2 + (fy - cy) ** 2) ** 0.5, 2)
            for (cx, cy), d in zip(cus, demand, strict=True)
        ]
        for fx, fy in fac
    ]
    return CFLP(capacity, fixed, demand, cost)


def pass_only(am) -> float:  # type: ignore[no-untyped-def]
    """Seconds to hand the finished arrays to a fresh highspy model."""
    lower, upper = np.concatenate(am.lower), np.concatenate(am.upper)
    row_lower, row_upper = np.concatenate(am.row_lower), np.concatenate(am.row_upper)
    A, cost = am.matrix, am.cost
    integer = np.flatnonzero(np.concatenate(am.integer)).astype(np.int32)
    indptr, indices = A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32)
    started = time.perf_counter()
    h = new_highs()
    n = len(lower)
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addRows(A.shape[0], row_lower, row_upper, A.nnz, indptr, indices, A.data)
    h.changeColsIntegrality(
        len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger)
    )
    return time.perf_counter() - started


def measure(name: str, inst: Instance, solve_seconds: float, pyomo: bool) -> str:
    t = time.perf_counter()
    cands = build_candidates(inst)
    if not offer_model_applies(cands):
        raise SystemExit(f"{name}: the offer model is not exact here")
    idx = build_offer_index(cands)
    index_s = time.perf_counter() - t

    t = time.perf_counter()
    am = offer_arrays(inst, cands, idx)
    h = am.to_highs()
    arrays_s = time.perf_counter() - t
    del h
    floor = pass_only(am)

    pyomo_s = float("nan")
    if pyomo:
        t = time.perf_counter()
        to_highs(build_offer_model(inst, cands, idx))
        pyomo_s = time.perf_counter() - t

    result = OFFERS.solve(SolveContext.of(inst, SolveOptions(time_limit=solve_seconds, gap=1e-9)))
    laps = result.timings.search
    nnz = am.matrix.nnz
    return (
        f"| {name} | {am.num_cols:,} | {am.num_rows:,} | {nnz:,} | {index_s:.2f} | "
        f"{pyomo_s:.2f} | {arrays_s:.2f} | {floor:.3f} | {arrays_s / floor:.1f} | "
        f"{laps.get('readback', 0.0):.3f} | {laps['solve']:.1f} | "
        f"{1e6 * pyomo_s / nnz:.2f} | {1e6 * arrays_s / nnz:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, action="append", default=[])
    parser.add_argument("--facilities", type=int, action="append", default=[])
    parser.add_argument("--customers", type=int, action="append", default=[])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--solve-seconds", type=float, default=20.0)
    parser.add_argument("--no-pyomo", action="store_true", help="skip the Pyomo reference")
    args = parser.parse_args()
    print(
        "| instance | columns | rows | nonzeros | index_s | pyomo_s | arrays_s | pass_s "
        "| arrays/pass | readback_s | solve_s | pyomo µs/nz | arrays µs/nz |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for folder in args.instance:
        print(measure(folder.name, read_instance(folder), args.solve_seconds, not args.no_pyomo))
    for m, n in zip(args.facilities, args.customers, strict=True):
        tables, _ = cflp_tables(random_cflp(m, n, args.seed))
        inst = instance_from_tables(tables, name=f"cflp-{m}x{n}")
        print(
            measure(
                f"random CFLP {m}x{n} (seed {args.seed})",
                inst,
                args.solve_seconds,
                not args.no_pyomo,
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
