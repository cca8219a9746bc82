"""A plain textbook single-source CFLP model, built directly with highspy arrays.

    python benchmarks/cflp_textbook.py ../shared/data/cflp --time-limit 60 orlib-cap/cap61

min sum_i f_i y_i + sum_ij c_ij x_ij  s.t.  sum_i x_ij = 1,  sum_j d_j x_ij <= s_i y_i,
x_ij <= y_i, binary x and y. The reference our engine's mapping is compared with.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import highspy
import numpy as np

from consortia.backend.highs import new_highs, run
from consortia.data.cflp import benchmark_file, parse_cflp, published_single_source


def solve_textbook(
    path: Path, fmt: str, time_limit: float, capacity: float | None = None
) -> tuple[float, float, str, float]:
    data = parse_cflp(path, fmt, capacity)
    m, n = data.m, data.n
    started = time.perf_counter()
    h = new_highs()
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("mip_rel_gap", 1e-9)
    # columns: y_0..y_{m-1}, then x_ij at m + i*n + j
    cost = np.concatenate([np.array(data.fixed), np.array(data.cost).ravel()])
    h.addVars(m + m * n, np.zeros(m + m * n), np.ones(m + m * n))
    h.changeColsCost(m + m * n, np.arange(m + m * n, dtype=np.int32), cost)
    h.changeColsIntegrality(
        m + m * n,
        np.arange(m + m * n, dtype=np.int32),
        np.full(m + m * n, highspy.HighsVarType.kInteger),
    )
    x = np.arange(m * n, dtype=np.int32).reshape(m, n) + m
    starts, index, value, lower, upper = [], [], [], [], []

    def row(cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> None:
        starts.append(sum(len(v) for v in value))
        index.append(cols)
        value.append(vals)
        lower.append(lo)
        upper.append(hi)

    for j in range(n):
        row(x[:, j], np.ones(m), 1.0, 1.0)
    demand = np.array(data.demand)
    for i in range(m):
        row(
            np.concatenate([[i], x[i]]).astype(np.int32),
            np.concatenate([[-data.capacity[i]], demand]),
            -np.inf,
            0.0,
        )
        for j in range(n):
            row(np.array([x[i, j], i], dtype=np.int32), np.array([1.0, -1.0]), -np.inf, 0.0)
    h.addRows(
        len(lower),
        np.array(lower),
        np.array(upper),
        int(sum(len(v) for v in value)),
        np.array(starts, dtype=np.int32),
        np.concatenate(index).astype(np.int32),
        np.concatenate(value),
    )
    run(h)
    info = h.getInfo()
    return (
        float(info.objective_function_value),
        float(info.mip_dual_bound),
        h.modelStatusToString(h.getModelStatus()),
        time.perf_counter() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    published = published_single_source(args.data)
    print("| set | instance | published | textbook | bound | status | seconds |")
    print("|---|---|---|---|---|---|---|")
    for item in args.files:
        set_name, name = item.split("/")
        source, fmt, capacity = benchmark_file(args.data, item)
        value, bound, status, seconds = solve_textbook(source, fmt, args.time_limit, capacity)
        print(
            f"| {set_name} | {name} | {published.get((set_name, name))} | {value:.2f} | "
            f"{bound:.2f} | {status} | {seconds:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
