"""Build instances/cflp: published single-source CFLP instances, imported.

    python benchmarks/cflp_set.py ../shared/data/cflp instances/cflp \
        orlib-cap/cap61 orlib-cap/cap71 holmberg/p1 delmaire/p1

Each file is imported as by ``consortia import cflp`` with its published
single-source optimum (optima.csv) kept in cflp.json, so that
``consortia bench instances/cflp --gap 1e-9`` reports whether it is reproduced.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from consortia.data.cflp import benchmark_file, import_cflp, published_single_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the cflp data folder (with optima.csv)")
    parser.add_argument("out", type=Path, help="the instance set folder to fill")
    parser.add_argument("files", nargs="+", help="set/name, e.g. holmberg/p1")
    args = parser.parse_args()
    published = published_single_source(args.data)
    for item in args.files:
        set_name, name = item.split("/")
        source, fmt, capacity = benchmark_file(args.data, item)
        target = published.get((set_name, name))
        folder = import_cflp(source, fmt, args.out / f"{set_name}-{name}", capacity, target)
        print(f"{folder}: published {target}")


if __name__ == "__main__":
    main()
