"""Import capacitated facility location (CFLP) benchmarks as consortium instances.

Mapping (``consortia import cflp``): a facility is a supplier with one offer in a
single category ``supply`` (its capacity and fixed cost; one all-units tier at
unit price P = 1); a customer is an organization with demand d_j; serving j from
facility i costs c_ij for all of j's demand, i.e. a surcharge c_ij / d_j per unit.
One period, no lead times, no collaboration graph. Customer j's baseline is

    B_j = P + K / d_j,   K = sum_i f_i + sum_j max_i c_ij + 1,

so serving any customer is worth K, more than any full single-source service can
cost (C* < K). A plan leaving a customer out is worth at most (n - 1) K, less
than n K - C*: an optimal plan serves everyone (when the instance is feasible) and

    CFLP cost = n K - net savings.

(A common baseline B = P + K / min_j d_j is equally exact, but makes the
objective coefficients of large customers far larger than the costs that decide
the optimum, which HiGHS handles worse; figures in benchmarks/RESULTS.md.)

A lot is served by one offer, so the plans are single-source assignments; lots
on the same offer may be several, but merging them is never worse (one fixed
cost, same unit price), so optima coincide. The constant sum_j d_j (B - P) is
written to ``cflp.json`` beside the tables.

Formats (whitespace-separated tokens): OR-Library ``orlib`` (m n; m x (capacity
fixed); n x (demand, c_1j..c_mj); capa/b/c have the word "capacity", which
``--capacity K`` replaces), ``holmberg`` (m n; m x (capacity fixed); n demands; m
rows of n costs; data end at the first NUL byte) and ``delmaire`` (n m; n rows of
m costs; n demands; m fixed costs; m capacities; a trailing 0x1A is ignored).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from consortia.errors import UsageError

FORMATS = ("orlib", "holmberg", "delmaire")
UNIT_PRICE = 1.0
REPRODUCED_TOL = 1e-6  # published values are rounded (see the data README)


@dataclass(frozen=True)
class CFLP:
    capacity: list[float]
    fixed: list[float]
    demand: list[float]
    cost: list[list[float]]  # cost[i][j]: facility i serves all of customer j

    @property
    def m(self) -> int:
        return len(self.capacity)

    @property
    def n(self) -> int:
        return len(self.demand)


def _tokens(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no CFLP file at '{path}'") from None
    raw = raw.split(b"\x00", 1)[0].replace(b"\x1a", b" ")
    return raw.decode("ascii", errors="replace").split()


def parse_cflp(path: str | Path, fmt: str, capacity: float | None = None) -> CFLP:
    if fmt not in FORMATS:
        raise UsageError(f"unknown CFLP format '{fmt}' (known: {', '.join(FORMATS)})")
    path = Path(path)
    tokens = _tokens(path)
    pos = 0

    def take(k: int = 1) -> list[float]:
        nonlocal pos
        if pos + k > len(tokens):
            raise UsageError(f"{path} ends early: is it in the '{fmt}' format?")
        out = []
        for token in tokens[pos : pos + k]:
            if token.lower() == "capacity":
                if capacity is None:
                    raise UsageError(f"{path} leaves the capacity open: give --capacity K")
                out.append(float(capacity))
            else:
                try:
                    out.append(float(token))
                except ValueError:
                    raise UsageError(f"{path}: '{token}' is not a number") from None
        pos += k
        return out

    try:
        if fmt == "delmaire":
            n, m = (int(v) for v in take(2))
            by_customer = [take(m) for _ in range(n)]
            demand = take(n)
            fixed = take(m)
            caps = take(m)
            cost = [[by_customer[j][i] for j in range(n)] for i in range(m)]
        else:
            m, n = (int(v) for v in take(2))
            pairs = [take(2) for _ in range(m)]
            caps = [p[0] for p in pairs]
            fixed = [p[1] for p in pairs]
            if fmt == "orlib":
                demand, columns = [], []
                for _ in range(n):
                    demand += take(1)
                    columns.append(take(m))
                cost = [[columns[j][i] for j in range(n)] for i in range(m)]
            else:
                demand = take(n)
                cost = [take(n) for _ in range(m)]
    except UsageError:
        raise
    if capacity is not None:
        caps = [float(capacity)] * len(caps)
    if any(d <= 0 for d in demand):
        raise UsageError(f"{path}: demands must be positive")
    return CFLP(caps, fixed, demand, cost)


def cflp_tables(data: CFLP) -> tuple[dict[str, pd.DataFrame], float]:
    """Instance tables of the mapping above, and the constant sum_j d_j (B - P)."""
    worst = sum(max(data.cost[i][j] for i in range(data.m)) for j in range(data.n))
    worth = sum(data.fixed) + worst + 1.0  # K: more than any full service costs
    baseline = [UNIT_PRICE + worth / d for d in data.demand]
    customers = [f"C{j + 1}" for j in range(data.n)]
    facilities = [f"F{i + 1}" for i in range(data.m)]

    def frame(rows: list[list[object]], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            [[repr(v) if isinstance(v, float) else str(v) for v in r] for r in rows],
            columns=columns,
        )

    tables = {
        "settings": frame([["horizon", 1], ["individually_rational", "true"]], ["key", "value"]),
        "organizations": frame([[c] for c in customers], ["org_id"]),
        "categories": frame([["supply"]], ["category_id"]),
        "demand": frame(
            [[c, "supply", d, b] for c, d, b in zip(customers, data.demand, baseline, strict=True)],
            ["org_id", "category_id", "quantity", "baseline_price"],
        ),
        "suppliers": frame([[f] for f in facilities], ["supplier_id"]),
        "offers": frame(
            [
                [f, "supply", cap, fix]
                for f, cap, fix in zip(facilities, data.capacity, data.fixed, strict=True)
            ],
            ["supplier_id", "category_id", "capacity", "fixed_cost"],
        ),
        "tiers": frame(
            [[f, "supply", 0.0, UNIT_PRICE] for f in facilities],
            ["supplier_id", "category_id", "min_quantity", "unit_price"],
        ),
        "surcharges": frame(
            [
                [customers[j], facilities[i], "supply", data.cost[i][j] / data.demand[j]]
                for i in range(data.m)
                for j in range(data.n)
            ],
            ["org_id", "supplier_id", "category_id", "unit_surcharge"],
        ),
    }
    offset = math.fsum(d * (b - UNIT_PRICE) for d, b in zip(data.demand, baseline, strict=True))
    return tables, offset


def import_cflp(
    path: str | Path,
    fmt: str,
    out: str | Path,
    capacity: float | None = None,
    published: float | None = None,
) -> Path:
    """Write the instance folder (tables and cflp.json) atomically; `published`
    is the published single-source optimal cost, if known."""
    from consortia.data.generator import write_instance_tables
    from consortia.data.reader import instance_from_tables

    data = parse_cflp(path, fmt, capacity)
    tables, offset = cflp_tables(data)
    instance_from_tables(tables)  # the mapping must give a valid instance
    meta = {
        "source": str(path),
        "format": fmt,
        "capacity": capacity,
        "offset": offset,
        "facilities": data.m,
        "customers": data.n,
        "note": "CFLP cost = offset - net savings",
        "published": published,
        # customers no single facility can serve: single sourcing cannot serve
        # everyone, and every plan leaves these out (cost not comparable)
        "unservable": unservable(data),
    }
    if Path(out).suffix.lower() == ".xlsx":
        raise UsageError("an imported CFLP instance is written as a folder (it holds cflp.json)")
    return write_instance_tables(
        tables, out, command="import", extra={"cflp.json": json.dumps(meta, indent=2) + "\n"}
    )


def unservable(data: CFLP) -> list[str]:
    """Customers whose demand exceeds every facility's capacity."""
    most = max(data.capacity, default=0.0)
    return [f"C{j + 1}" for j, d in enumerate(data.demand) if d > most]


SET_FORMATS = {"orlib-cap": "orlib", "holmberg": "holmberg", "delmaire": "delmaire"}


def benchmark_file(data: Path, item: str) -> tuple[Path, str, float | None]:
    """(file, format, capacity) of a benchmark named 'set/name' in the shared data
    folder; OR-Library 'capa_8000' is capa.txt at capacity 8000."""
    set_name, name = item.split("/")
    fmt = SET_FORMATS[set_name]
    base, _, capacity = name.partition("_")
    source = data / set_name / (base + ".txt" if fmt == "orlib" else base)
    return source, fmt, float(capacity) if capacity else None


def published_single_source(data: Path) -> dict[tuple[str, str], float]:
    """(set, instance) -> published single-source optimum, from optima.csv."""
    import csv

    with open(data / "optima.csv") as fh:
        return {
            (r["set"], r["instance"]): float(r["optimal_value"])
            for r in csv.DictReader(fh)
            if r["variant"] == "single"
        }


def cflp_cost(instance_dir: str | Path, net_savings: float) -> float:
    meta = json.loads((Path(instance_dir) / "cflp.json").read_text())
    return float(meta["offset"]) - net_savings


def published_check(instance_dir: str | Path, net_savings: float) -> dict[str, object] | None:
    """For an imported CFLP instance with a published optimum: our CFLP cost, the
    published one and whether they agree (relative 1e-6). None otherwise."""
    meta_file = Path(instance_dir) / "cflp.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text())
    if meta.get("published") is None:
        return None
    ours = float(meta["offset"]) - net_savings
    target = float(meta["published"])
    return {
        "cflp_cost": ours,
        "published": target,
        "reproduced": abs(ours - target) <= REPRODUCED_TOL * abs(target),
    }
