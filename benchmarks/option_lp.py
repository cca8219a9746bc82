"""How much a relaxation over shared options would tighten the slot-priced bound.

    python benchmarks/option_lp.py /work/big/sub/north_east --families pair,link,neighbour
    python benchmarks/option_lp.py /work/big/sub/north_east --columns 120

Solves the LP of ``formulations/option_lp.py`` with the families of rows asked
for and prints its value and the bound recomputed from its duals, next to the
slot-priced bound; with ``--columns SECONDS``, the same relaxation (every family)
by column generation (``formulations/option_columns.py``) for at most that long.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from consortia import read_instance
from consortia.formulations.option_columns import option_bound
from consortia.formulations.option_lp import FAMILIES, build, solve
from consortia.formulations.slot_bound import slot_prices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("--families", default="pair,link,neighbour")
    parser.add_argument("--slot-seconds", type=float, default=30.0)
    parser.add_argument("--columns", type=float, default=None, metavar="SECONDS")
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
    if args.columns is not None:
        result = option_bound(found.relaxation, args.columns, found.prices)
        print(
            f"option columns: bound {result.bound:,.0f}, master LP {result.lp:,.0f},"
            f" {result.rounds} rounds, {result.columns:,} columns,"
            f" {time.perf_counter() - started:.0f} s"
        )
        return
    lp = build(found.relaxation, families)  # the relaxation the search built
    if lp is None:
        print("no pair has an option of positive value: the bound is 0")
        return
    built = time.perf_counter() - started
    value, bound, status = solve(lp)
    print(
        f"option LP ({', '.join(sorted(families))}):"
        f" {lp.a.shape[1]:,} columns, {lp.a.shape[0]:,} rows,"
        f" built in {built:.0f} s, solved in {time.perf_counter() - started - built:.0f} s"
        f" ({status}): value {value:,.0f}, bound from its duals {bound:,.0f}"
    )


if __name__ == "__main__":
    main()
