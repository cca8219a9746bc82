"""The lot-generation solver under the version-2 timing rules: readiness per demand
pair (spec section 9) and each organization's own formation limit (rule 8b,
section 10).

Against brute force on random tiny instances that use both, a hand-derived case
where an organization's limit of one forces its two lots apart, pricing against
every enumerated lot under random duals of the rule-8b rows, and a 200-organization
instance with limits on a third of its organizations.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import INSTANCES
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables, load_raw_tables
from consortia.rules.plan import Lot, assess_plan, price_lot
from consortia.solvers.bruteforce import enumerate_optimum, profitable_lots
from consortia.solvers.lots.data import build_category_data
from consortia.solvers.lots.master import DIVE_THRESHOLDS, LotMaster
from consortia.solvers.lots.pricing import CategoryPricing
from consortia.solvers.lots.repair import integer_variants
from consortia.solvers.lots.subproblems import build_subproblems
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import random_v2_tables

SEEDS = range(240)


@pytest.mark.parametrize("chunk", range(2))
def test_lots_is_honest_on_random_v2_instances(chunk: int) -> None:
    failures, proven, limited = [], 0, 0
    seeds = SEEDS[chunk::2]
    for seed in seeds:
        inst = instance_from_tables(random_v2_tables(seed))
        limited += bool(inst.binding_org_capacity)
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation="lots"))
        tol = 1e-6 * max(1.0, abs(expected))
        plan = assess_plan(inst, [o.lot for o in result.outcomes])
        problems = []
        if not plan.feasible or abs(plan.objective - result.objective) > tol:
            problems.append(("plan", plan.violations))
        if result.objective > expected + tol:
            problems.append(("objective above optimum", result.objective))
        if result.best_bound < expected - tol:
            problems.append(("bound below optimum", result.best_bound))
        if result.status == "optimal" and abs(result.objective - expected) > tol:
            problems.append(("false claim", result.objective))
        proven += result.status == "optimal"
        if problems:
            failures.append((seed, expected, problems))
    assert not failures
    assert limited >= 0.6 * len(seeds)  # the own limits bind on most of them
    assert proven >= 0.85 * len(seeds)  # measured: 231 of 240


def _two_category_tables(limit: str) -> dict[str, pd.DataFrame]:
    """Organizations A and B buy 10 units a period in categories X and Y at a
    baseline of 10; one supplier sells each at 9.5, or at 8 (X) and 8.5 (Y) from
    20 units; every lot forms in 2 periods; horizon 6; A's own limit `limit`."""

    def frame(rows: list[list[object]], columns: str) -> pd.DataFrame:
        return pd.DataFrame([[str(v) for v in r] for r in rows], columns=columns.split())

    return {
        "settings": frame([["horizon", 6]], "key value"),
        "organizations": frame(
            [["A", 1, limit], ["B", 1, ""]], "org_id ready_period max_parallel_formations"
        ),
        "categories": frame(
            [["X", 2, 0, 1, "", 0], ["Y", 2, 0, 1, "", 0]],
            "category_id base_lead member_lead min_members max_members coordination_cost",
        ),
        "demand": frame(
            [[o, c, 10, 10] for o in "AB" for c in "XY"],
            "org_id category_id quantity baseline_price",
        ),
        "suppliers": frame([["S"]], "supplier_id"),
        "offers": frame(
            [["S", c, "", 1, 0, "all_units", ""] for c in "XY"],
            "supplier_id category_id capacity available_from fixed_cost discount regions",
        ),
        "tiers": frame(
            [["S", "X", 0, 9.5], ["S", "X", 20, 8], ["S", "Y", 0, 9.5], ["S", "Y", 20, 8.5]],
            "supplier_id category_id min_quantity unit_price",
        ),
    }


def test_an_own_limit_of_one_forces_two_lots_apart() -> None:
    """Pooled, X saves 2 x 20 = 40 a period and Y 1.5 x 20 = 30; alone a member
    saves 0.5 x 10 = 5. Without limits both pooled lots start in 1 and are live
    in periods 3-6: 4 x (40 + 30) = 280. With k(A) = 1, A helps form one lot at a
    time: X in 1-2 (live 3-6, 160) and Y in 3-4 (live 5-6, 60) give 220; the
    other order gives 4 x 30 + 2 x 40 = 200, and keeping A out of Y's pool
    (Y: B from 1, A from 3) 160 + 4 x 5 + 2 x 5 = 190."""
    free = instance_from_tables(_two_category_tables(""))
    assert solve(free, SolveOptions(formulation="lots")).objective == pytest.approx(280)

    inst = instance_from_tables(_two_category_tables("1"))
    assert inst.binding_org_capacity == {"A": 1}
    assert enumerate_optimum(inst)[0] == pytest.approx(220)
    result = solve(inst, SolveOptions(formulation="lots"))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(220)
    assert result.best_bound == pytest.approx(220)
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
    starts = {o.lot.category_id: (o.lot.start, o.lot.members) for o in result.outcomes}
    assert starts == {"X": (1, ("A", "B")), "Y": (3, ("A", "B"))}


def test_own_limit_duals_are_not_reported_as_slot_values() -> None:
    """With a central limit of two that never binds, the master LP over the lots
    X(1), Y(3), Y(1), X(3) prices A's own limit (its duals in periods 1 and 3 are
    positive: 140 and 60) and leaves every formation slot at 0: *What binds*
    reports no slot."""
    tables = _two_category_tables("1")
    tables["settings"] = pd.DataFrame(
        [["horizon", "6"], ["max_parallel_formations", "2"]], columns=["key", "value"]
    )
    inst = instance_from_tables(tables)
    result = solve(inst, SolveOptions(formulation="lots"))
    assert result.objective == pytest.approx(220)
    assert result.slot_values == {}

    master = LotMaster(inst, build_category_data(inst))
    lots = [Lot("X", "S", ("A", "B"), 1), Lot("Y", "S", ("A", "B"), 3)]
    lots += [Lot("Y", "S", ("A", "B"), 1), Lot("X", "S", ("A", "B"), 3)]
    master.add([(price_lot(inst, lot)[0], True) for lot in lots])
    value, y = master.solve_lp()
    assert value == pytest.approx(220)
    assert sum(y[r] for r in master.own_row.values()) > 1.0
    assert all(y[r] == pytest.approx(0) for r in master.form_row.values())


def test_pricing_bounds_every_enumerated_lot_under_random_own_duals() -> None:
    """For random duals, rule-8b duals included, the best subproblem upper bound of
    a category is at least the reduced cost of every lot brute force lists that a
    plan can hold; the charge of rho(o, p) falls on limited members o over the
    lot's forming periods p."""
    rng = np.random.default_rng(11)
    checked = charged = 0
    for seed in range(80):
        inst = instance_from_tables(random_v2_tables(seed))
        horizon = inst.settings.horizon
        limited = sorted(inst.binding_org_capacity)
        nu = np.concatenate(([0.0], rng.choice([0.0, 0.0, 1.0, 5.0], size=horizon)))
        rho = {
            (o, p): float(rng.choice([0.0, 0.0, 2.0, 15.0, 60.0]))
            for o in limited
            for p in range(1, horizon + 1)
        }
        for data in build_category_data(inst):
            pi = rng.choice([0.0, 0.0, 3.0, 20.0], size=data.n)
            mu = rng.choice([0.0, 0.0, 0.05, 0.3], size=len(data.offers))
            own = np.zeros((len(data.capped), horizon + 1))
            for k, i in enumerate(data.capped.tolist()):
                for p in range(1, horizon + 1):
                    own[k, p] = rho[(data.orgs[i], p)]
            own = np.cumsum(own, axis=1)
            pr = CategoryPricing(data, build_subproblems(inst, data))
            res = pr.price(pi, mu, np.cumsum(nu), iterations=40, own=own if own.size else None)
            best = float(res.ub.max()) if len(res.ub) else -np.inf
            pos = {o: i for i, o in enumerate(data.orgs)}
            mu_of = {od.offer.supplier_id: mu[j] for j, od in enumerate(data.offers)}
            for out in profitable_lots(inst, data.cat_id):
                cap = inst.offer[(out.lot.supplier_id, data.cat_id)].capacity
                if out.volume > cap * (1 + 1e-9):
                    continue  # no plan holds it (rule 6); pricing leaves it out
                charge = sum(rho.get((o, p), 0.0) for o in out.lot.members for p in out.forming)
                charged += charge > 0
                rc = (
                    out.net
                    - sum(pi[pos[o]] for o in out.lot.members)
                    - mu_of[out.lot.supplier_id] * out.volume
                    - sum(nu[p] for p in out.forming)
                    - charge
                )
                assert best >= rc - 1e-6 * max(1.0, abs(out.net)), (seed, out.lot, best, rc)
                checked += 1
    assert checked > 100
    assert charged > 50


def _medium_with_own_limits() -> Instance:
    raw, problems = load_raw_tables(Path(INSTANCES / "medium" / "m200-seed1"))
    assert not problems
    orgs = raw["organizations"].copy()
    orgs["max_parallel_formations"] = ["1" if i % 3 == 0 else "" for i in range(len(orgs))]
    return instance_from_tables({**raw, "organizations": orgs})


def test_medium_instance_with_own_limits_gives_a_feasible_plan() -> None:
    """m200-seed1 with k(o) = 1 on every third organization (66 of them bind):
    the plan keeps rule 8b (how good it is depends on the time the machine gives
    it: 383-458 M in 20-60 s, against an LP of 460-500 M)."""
    inst = _medium_with_own_limits()
    assert len(inst.binding_org_capacity) > 60
    result = solve(inst, SolveOptions(formulation="lots", time_limit=15))
    plan = assess_plan(inst, [o.lot for o in result.outcomes])
    assert plan.feasible, plan.violations[:3]
    assert plan.objective == pytest.approx(result.objective)
    assert result.best_bound >= result.objective


def _random_duals(rng, inst: Instance, data) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """(pi, mu, cumulative nu, rho) at random for one category, rule-8b rows included."""
    horizon = inst.settings.horizon
    nu = np.concatenate(([0.0], rng.choice([0.0, 0.0, 1.0, 5.0], size=horizon)))
    rho = {
        (o, p): float(rng.choice([0.0, 0.0, 2.0, 15.0, 60.0]))
        for o in inst.binding_org_capacity
        for p in range(1, horizon + 1)
    }
    pi = rng.choice([0.0, 0.0, 3.0, 20.0], size=data.n)
    mu = rng.choice([0.0, 0.0, 0.05, 0.3], size=len(data.offers))
    return pi, mu, np.cumsum(nu), rho


def _own_cumulative(data, rho: dict, horizon: int) -> np.ndarray | None:
    own = np.zeros((len(data.capped), horizon + 1))
    for k, i in enumerate(data.capped.tolist()):
        for p in range(1, horizon + 1):
            own[k, p] = rho[(data.orgs[i], p)]
    return np.cumsum(own, axis=1) if own.size else None


def _rows_of(subs, offer_of: dict, out) -> np.ndarray:
    """The subproblems (rows) that hold the lot of `out`."""
    n, j = len(out.lot.members), offer_of[out.lot.supplier_id]
    return np.nonzero(
        (subs.offer == j)
        & (subs.sigma == out.lot.start)
        & (subs.nlo <= n)
        & (subs.nhi >= n)
        & (subs.vlo <= out.volume)
        & (subs.vhi >= out.volume)
    )[0]


def _reduced_cost(out, pos: dict, offer_of: dict, pi, mu, nu_cum, rho) -> float:
    """The lot's reduced cost at these duals, formation and rule-8b rows included."""
    charge = sum(rho.get((o, p), 0.0) for o in out.lot.members for p in out.forming)
    formation = sum(nu_cum[p] - nu_cum[p - 1] for p in out.forming)
    return float(
        out.net
        - sum(pi[pos[o]] for o in out.lot.members)
        - mu[offer_of[out.lot.supplier_id]] * out.volume
        - formation
        - charge
    )


def test_exact_bounds_carried_to_new_duals_bound_every_enumerated_lot() -> None:
    """A subproblem's exact bound at one set of duals, carried to another
    (``_ExactPricing.bounds``: the n_hi largest rises of the members' values and of
    their rule-8b charges, less the rise of the constant), is at least the reduced
    cost at the new duals of every lot brute force lists for that subproblem; so is
    a saved state carried to a third set (``carry``)."""
    from consortia.solvers.lots.solver import _ExactPricing

    rng = np.random.default_rng(5)
    checked = 0
    for seed in range(60):
        inst = instance_from_tables(random_v2_tables(seed))
        horizon = inst.settings.horizon
        for data in build_category_data(inst):
            pr = CategoryPricing(data, build_subproblems(inst, data))
            subs = pr.subs
            if not len(subs):
                continue
            exact = _ExactPricing([pr], [None])
            lots = [
                out
                for out in profitable_lots(inst, data.cat_id)
                if out.volume
                <= inst.offer[(out.lot.supplier_id, data.cat_id)].capacity * (1 + 1e-9)
            ]
            pos = {o: i for i, o in enumerate(data.orgs)}
            offer_of = {od.offer.supplier_id: j for j, od in enumerate(data.offers)}

            before = _random_duals(rng, inst, data)
            pi, mu, nu_cum, rho = before
            pr.price(pi, mu, nu_cum, iterations=10, own=_own_cumulative(data, rho, horizon))
            exact.bounds()
            known = np.full(len(subs), -np.inf)
            for out in lots:
                for r in _rows_of(subs, offer_of, out):
                    known[r] = max(known[r], _reduced_cost(out, pos, offer_of, *before))
            exact.known[0] = known.copy()
            first = exact.state()
            after = _random_duals(rng, inst, data)
            pi, mu, nu_cum, rho = after
            pr.price(pi, mu, nu_cum, iterations=10, own=_own_cumulative(data, rho, horizon))
            carried = exact.bounds()[0]
            # and from the first duals straight to a third set, past the second
            third = _random_duals(rng, inst, data)
            pi, mu, nu_cum, rho = third
            pr.price(pi, mu, nu_cum, iterations=10, own=_own_cumulative(data, rho, horizon))
            straight = exact.carry(first)[0]
            for out in lots:
                tol = 1e-6 * max(1.0, abs(out.net))
                rc_after = _reduced_cost(out, pos, offer_of, *after) - tol
                rc_third = _reduced_cost(out, pos, offer_of, *third) - tol
                for r in _rows_of(subs, offer_of, out):
                    assert carried[r] >= rc_after, (seed, out.lot)
                    assert straight[r] >= rc_third, (seed, out.lot)
                    checked += 1
    assert checked > 100


def test_the_master_lp_with_own_rows_added_when_broken_is_the_full_lp() -> None:
    """The master LP takes a rule-8b row only once its point breaks it; over every
    profitable lot of random instances with binding limits its value must be that
    of the LP holding all the rows, and its point must keep them all."""
    compared, lazier = 0, 0
    for seed in range(60):
        inst = instance_from_tables(random_v2_tables(seed))
        if not inst.binding_org_capacity:
            continue
        cats = build_category_data(inst)
        columns = [(out, True) for c in inst.category for out in profitable_lots(inst, c)]
        lazy, full = LotMaster(inst, cats), LotMaster(inst, build_category_data(inst))
        lazy.add(columns)
        full.add(columns)
        full.activate_own(list(full.own_row.values()))
        for central in (False, True):
            value, _ = lazy.solve_lp(central=central)
            expected, _ = full.solve_lp(central=central)
            assert value == pytest.approx(expected, rel=1e-6, abs=1e-6), seed
        x = lazy.primal()
        for key, r in lazy.own_row.items():
            load = sum(x[j] for j, (out, _) in enumerate(columns) if r in lazy._own_rows(out))
            assert load <= lazy.rhs[r] + 1e-6, (seed, key)
        compared += 1
        lazier += lazy.own_rows_in_lp < full.own_rows_in_lp
    assert compared >= 30
    assert lazier >= 10  # most rows are never needed

    # A's limit of one binds (the test above): without its rows the LP would be 280
    inst = instance_from_tables(_two_category_tables("1"))
    master = LotMaster(inst, build_category_data(inst))
    lots = [Lot("X", "S", ("A", "B"), 1), Lot("Y", "S", ("A", "B"), 3)]
    lots += [Lot("Y", "S", ("A", "B"), 1), Lot("X", "S", ("A", "B"), 3)]
    master.add([(price_lot(inst, lot)[0], True) for lot in lots])
    assert master.own_rows_in_lp == 0
    for central in (False, True):
        assert master.solve_lp(central=central)[0] == pytest.approx(220)
    assert 0 < master.own_rows_in_lp < len(master.own_row)


def test_integer_variants_let_the_plan_stagger_what_the_lp_mixes() -> None:
    """With k(A) = 1 and a pool of X and Y both starting in 1 (the test above),
    the best plan of the pool is X alone (160); the variants add Y from 3 (live
    5-6: 2 x 30 = 60) and the one-member lots without A, so the plan of 220 is
    found. Every variant is a real lot the rules price as listed."""
    inst = instance_from_tables(_two_category_tables("1"))
    base = [price_lot(inst, Lot(c, "S", ("A", "B"), 1))[0] for c in "XY"]
    assert all(out is not None for out in base)
    master = LotMaster(inst, build_category_data(inst))
    master.add([(out, True) for out in base])
    plan, _ = master.solve_ip(10.0, [])
    assert sum(o.net for o in plan) == pytest.approx(160)

    variants = integer_variants(inst, base)
    lots = {out.lot for out in variants}
    assert Lot("Y", "S", ("A", "B"), 3) in lots
    assert Lot("X", "S", ("B",), 1) in lots  # A's limit binds: the lot without A
    assert not lots & {out.lot for out in base}
    for out in variants:
        priced, problems = price_lot(inst, out.lot)
        assert not problems and priced is not None
        assert priced.net == pytest.approx(out.net) and out.net > 0
        assert out.lot.start in (1, 2, 3)  # two periods at most from the start of 1
    master = LotMaster(inst, build_category_data(inst))
    master.add([(out, True) for out in base + variants])
    plan, _ = master.solve_ip(10.0, [])
    assert sum(o.net for o in plan) == pytest.approx(220)
    assert assess_plan(inst, [o.lot for o in plan]).feasible


def test_lp_dives_give_feasible_plans_no_better_than_the_optimum() -> None:
    """Diving on the master LP over every profitable lot (own-limit rows held) ends
    in plans the judge accepts, worth at most the brute-forced optimum, and on
    most of them in the optimum itself."""
    tried, optimal = 0, 0
    for seed in range(120):
        inst = instance_from_tables(random_v2_tables(seed))
        columns = [(out, True) for c in inst.category for out in profitable_lots(inst, c)]
        if not columns:
            continue
        best = enumerate_optimum(inst)[0]
        master = LotMaster(inst, build_category_data(inst))
        master.add(columns)
        master.activate_own(list(master.own_row.values()))
        master.solve_lp()
        upper = np.ones(len(columns))
        for threshold in DIVE_THRESHOLDS:
            plan = master.dive(upper, threshold, time.perf_counter() + 30.0)
            assert plan is not None, seed  # no time runs out on these
            value = sum(o.net for o in plan)
            assert assess_plan(inst, [o.lot for o in plan]).feasible, seed
            assert value <= best + 1e-6 * max(1.0, best), seed
            tried += 1
            optimal += value >= best - 1e-6 * max(1.0, best)
    assert tried >= 40
    assert optimal >= 0.8 * tried


def test_the_integer_master_reaches_the_optimum_beyond_the_lp_support(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over every profitable lot of brute-forced random v2 instances, ``solve_ip``
    (the LP's support, larger neighbourhoods, then the whole pool) ends at the
    optimum; stopped after the support, it misses it on some of them, so the later
    searches are what reach it."""
    short, tried = 0, 0
    for seed in range(240):
        inst = instance_from_tables(random_v2_tables(seed))
        columns = [(out, True) for c in inst.category for out in profitable_lots(inst, c)]
        if len(columns) < 2:
            continue
        best = enumerate_optimum(inst)[0]
        tol = 1e-6 * max(1.0, best)
        master = LotMaster(inst, build_category_data(inst))
        master.add(columns)
        plan, _ = master.solve_ip(30.0, [])
        assert assess_plan(inst, [o.lot for o in plan]).feasible, seed
        assert sum(o.net for o in plan) == pytest.approx(best, abs=tol), seed
        with monkeypatch.context() as patch:
            patch.setattr("consortia.solvers.lots.master.NEIGHBOURHOODS", (0,))
            patch.setattr("consortia.solvers.lots.master.NEIGHBOURHOOD_GROWTH", 1e12)
            patch.setattr("consortia.solvers.lots.master.DIVE_THRESHOLDS", ())
            master = LotMaster(inst, build_category_data(inst))
            master.add(columns)
            support_only, _ = master.solve_ip(30.0, [])
        short += sum(o.net for o in support_only) < best - tol
        tried += 1
    assert tried >= 60
    assert short >= 1


def _capacity_case_unsolved() -> tuple[LotMaster, list[Lot]]:
    """One offer at 9 a unit, capacity 100, lots live from period 1 to 4: A = {O1,
    O2} (60 units at 10: net 4 x 60 = 240), B = {O3} (60 at 9.5: 120), C = {O4}
    (40 at 9.25: 40), in a master over the three (its LP not solved)."""

    def frame(rows: list[list[object]], columns: str) -> pd.DataFrame:
        return pd.DataFrame([[str(v) for v in r] for r in rows], columns=columns.split())

    demand = [("O1", 30, 10), ("O2", 30, 10), ("O3", 60, 9.5), ("O4", 40, 9.25)]
    tables = {
        "settings": frame([["horizon", 4]], "key value"),
        "organizations": frame([[o] for o, _, _ in demand], "org_id"),
        "categories": frame(
            [["X", 0, 0, 1, "", 0]],
            "category_id base_lead member_lead min_members max_members coordination_cost",
        ),
        "demand": frame(
            [[o, "X", q, b] for o, q, b in demand], "org_id category_id quantity baseline_price"
        ),
        "suppliers": frame([["S"]], "supplier_id"),
        "offers": frame(
            [["S", "X", 100, 1, 0, "all_units", ""]],
            "supplier_id category_id capacity available_from fixed_cost discount regions",
        ),
        "tiers": frame([["S", "X", 0, 9]], "supplier_id category_id min_quantity unit_price"),
    }
    inst = instance_from_tables(tables)
    lots = [Lot("X", "S", ("O1", "O2"), 1), Lot("X", "S", ("O3",), 1), Lot("X", "S", ("O4",), 1)]
    outs = [price_lot(inst, lot)[0] for lot in lots]
    assert [o.net for o in outs] == pytest.approx([240, 120, 40])
    master = LotMaster(inst, build_category_data(inst))
    master.add([(o, True) for o in outs])
    return master, lots


def _capacity_case() -> tuple[LotMaster, list[Lot]]:
    """``_capacity_case_unsolved`` with its LP solved (A and 2/3 of B: 320)."""
    master, lots = _capacity_case_unsolved()
    assert master.solve_lp()[0] == pytest.approx(320)
    return master, lots


def test_a_dive_that_breaks_capacity_keeps_its_best_fix() -> None:
    """In ``_capacity_case``, fixing A and B breaks the capacity, so only A stays
    fixed, then B alone breaks it and is barred, and the dive ends at A + C = 280,
    the optimum (barring A with B would end at 40)."""
    master, lots = _capacity_case()
    plan = master.dive(np.ones(3), 0.6, time.perf_counter() + 30.0)
    assert plan is not None
    assert {o.lot for o in plan} == {lots[0], lots[2]}


def test_a_dive_cut_short_rounds_its_last_lp_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """With time for one LP only (a clock that jumps past the limit after its first
    reading), the dive rounds that LP's point (A at 1, B at 2/3): A, then B breaks
    the capacity; C, at 0, is not in the point. A plan of 240, not None."""
    master, lots = _capacity_case()
    readings = iter([0.0])
    monkeypatch.setattr(
        "consortia.solvers.lots.master.time.perf_counter", lambda: next(readings, 100.0)
    )
    plan = master.dive(np.ones(3), 0.6, 1.0)
    assert plan is not None
    assert {o.lot for o in plan} == {lots[0]}


def test_the_integer_master_keeps_to_its_limit_when_its_lp_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every LP of the lot master stopped by its limit before it has a solution
    (the LP that fixes columns by reduced cost, and the dives): ``solve_lp`` says
    so, and ``solve_ip`` gives that LP at most DIVE_SHARE of its time, rounds no
    point of it, and still ends at the pool's optimum, A + C = 280, by the MIP."""
    from consortia.solvers.lots import master as master_module

    limits: list[float] = []
    monkeypatch.setattr(master_module, "set_time_limit", lambda h, s: limits.append(s))
    monkeypatch.setattr(master_module, "run", lambda h: h.clearSolver())
    master, lots = _capacity_case_unsolved()
    master.solve_lp(seconds=5.0)
    assert not master.lp_optimal() and len(limits) == 1 and 4.9 < limits[0] <= 5.0
    limits.clear()
    plan, _ = master.solve_ip(10.0, [])
    assert limits and max(limits) <= master_module.DIVE_SHARE * 10.0 + 1e-9
    assert master.lp_plan == []
    assert {o.lot for o in plan} == {lots[0], lots[2]}


def _dense_own_correction(pr: CategoryPricing, beta: np.ndarray, own: np.ndarray) -> np.ndarray:
    """The rule-8b correction of the cheap bound, every subproblem against every
    limited organization (the definition, no shortcut)."""
    s, data = pr.subs, pr.data
    rows = np.arange(len(s))
    capped = data.capped
    v = s.weight[:, None] * pr.value[s.piece][:, capped] - beta[s.offer][:, capped]
    charge = own[:, s.sigma + s.lead - 1].T - own[:, s.sigma - 1].T
    ready = data.ready[capped][None, :] <= s.sigma[rows, None]
    mask = pr.elig[s.piece][:, capped] & ready
    taken = np.maximum(v, 0.0) - np.maximum(v - charge, 0.0)
    return np.where(mask, taken, 0.0).sum(axis=1)


def _dense_own_fall(pr: CategoryPricing, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    s, data = pr.subs, pr.data
    fall = (before[:, s.sigma + s.lead - 1] - before[:, s.sigma - 1]).T - (
        after[:, s.sigma + s.lead - 1] - after[:, s.sigma - 1]
    ).T
    values = np.where(pr.elig[s.piece][:, data.capped], np.maximum(fall, 0.0), 0.0)
    ranked = -np.sort(-values, axis=1)
    running = np.concatenate([np.zeros((len(s), 1)), np.cumsum(ranked, axis=1)], axis=1)
    return running[np.arange(len(s)), np.minimum(s.nhi, values.shape[1])]


def _random_own(rng, limited: int, horizon: int, density: float) -> np.ndarray:
    """Cumulative own-row duals (limited x (T + 1)), each period's dual nonzero with
    probability `density`."""
    rho = rng.exponential(3e4, (limited, horizon)) * (rng.random((limited, horizon)) < density)
    return np.concatenate([np.zeros((limited, 1)), np.cumsum(rho, axis=1)], axis=1)


def test_rule_8b_terms_by_forming_window_equal_their_definitions() -> None:
    """The cheap bound's rule-8b correction and the carried bounds' fall of the
    rule-8b charges, computed per forming window over the organizations charged
    there, equal the definitions over every subproblem and limited organization,
    for sparse and dense random duals of the own rows."""
    inst = _medium_with_own_limits()
    horizon = inst.settings.horizon
    rng = np.random.default_rng(5)
    compared = nonzero = 0
    for data in build_category_data(inst)[:4]:
        pr = CategoryPricing(data, build_subproblems(inst, data))
        beta = rng.choice([0.0, 50.0, 4000.0], size=(len(data.offers), data.n))
        for density in (0.02, 0.3, 1.0):
            before, after = (_random_own(rng, len(data.capped), horizon, density) for _ in "ab")
            got = pr._own_correction(beta, before)
            want = _dense_own_correction(pr, beta, before)
            assert np.allclose(got, want, rtol=1e-12, atol=1e-6), density
            got = pr.own_fall(before, after)
            want = _dense_own_fall(pr, before, after)
            assert np.allclose(got, want, rtol=1e-12, atol=1e-6), density
            compared += len(got)
            nonzero += int((want > 0).sum())
    assert compared > 1000 and nonzero > 100, (compared, nonzero)
