"""Fuzz the reader and the CLI with many damaged instances (tests/data/test_fuzz_inputs.py).

    python benchmarks/fuzz.py --examples 10000 [--seed 0] [--time-limit 5]

Every case runs ``consortia validate`` and ``consortia solve`` in-process; the
script prints, per corruption kind, how many cases ran and how they ended (exit 0
with a checked plan, exit 2 with named problems), and every failure.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "data")]


class RandomChooser(random.Random):
    """The Chooser of the fuzz tests, from a seeded random generator."""

    def text(self, max_size: int) -> str:
        chars = []
        for _ in range(self.randint(0, max_size)):
            pick = self.random()
            if pick < 0.6:
                chars.append(chr(self.randint(32, 126)))
            elif pick < 0.7:
                chars.append(chr(self.randint(0, 31)))
            else:
                code = self.randint(0x80, 0x10FFFF)
                chars.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "?")
        return "".join(chars)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as ledger:
        os.environ["CONSORTIA_LEDGER"] = str(Path(ledger) / "runs.sqlite")
        import test_fuzz_inputs as fuzz

        rng = RandomChooser(args.seed)
        outcomes: Counter[tuple[str, str]] = Counter()
        failures: list[str] = []
        start = time.perf_counter()
        for n in range(args.examples):
            kind = fuzz.KINDS[n % len(fuzz.KINDS)]
            try:
                case = fuzz.make_case(rng, kind)
                with tempfile.TemporaryDirectory() as tmp:
                    outcome = f"exit {fuzz.check_case(case, Path(tmp), args.time_limit)}"
            except Exception as exc:  # a failure of the contract (or of the harness): report it
                outcome = "FAIL"
                failures.append(f"case {n} [{kind}]: {type(exc).__name__}: {exc}"[:2000])
            outcomes[(kind, outcome)] += 1
        seconds = time.perf_counter() - start

    print(f"{args.examples} cases (seed {args.seed}) in {seconds:.0f} s")
    print(f"{'kind':22s} {'cases':>6s} {'exit 0':>7s} {'exit 2':>7s} {'FAIL':>5s}")
    for kind in fuzz.KINDS:
        counts = [outcomes[(kind, o)] for o in ("exit 0", "exit 2", "FAIL")]
        print(f"{kind:22s} {sum(counts):6d} {counts[0]:7d} {counts[1]:7d} {counts[2]:5d}")
    print(f"failures: {len(failures)}")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
