"""The lot-generation solver (``--formulation lots``) against brute force and hand optima.

Price-and-branch may stop short of the optimum, but it must never claim more than
it proves: the plan is feasible and at most the optimum, the bound at least the
optimum, and ``optimal`` only when the plan is optimal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components
from test_optima import TINY

from conftest import INSTANCES
from consortia import read_instance
from consortia.data.reader import instance_from_tables
from consortia.rules.plan import assess_plan
from consortia.solvers.bruteforce import enumerate_optimum, profitable_lots
from consortia.solvers.clock import Deadline
from consortia.solvers.lots.data import build_category_data
from consortia.solvers.lots.pricing import CategoryPricing
from consortia.solvers.lots.subproblems import build_subproblems
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import random_coupled_tables, random_tiny_tables

SEEDS = range(300)


def _honesty_problems(inst, expected):
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
    return problems, result


@pytest.mark.parametrize("chunk", range(3))
def test_lots_is_honest_on_random_tiny_instances(chunk: int) -> None:
    failures, proven = [], 0
    for seed in SEEDS[chunk::3]:
        for make in (random_tiny_tables, random_coupled_tables):
            inst = instance_from_tables(make(seed))
            expected, _ = enumerate_optimum(inst)
            problems, result = _honesty_problems(inst, expected)
            proven += result.status == "optimal"
            if problems:
                failures.append((make.__name__, seed, expected, problems))
    assert not failures
    assert proven >= 0.7 * 2 * len(SEEDS[chunk::3])  # measured: ~86%


@pytest.mark.parametrize("name", sorted(TINY))
def test_lots_reproduces_hand_optima(name: str) -> None:
    inst = read_instance(INSTANCES / "tiny" / name)
    result = solve(inst, SolveOptions(formulation="lots"))
    assert result.objective == pytest.approx(TINY[name], abs=1e-6)
    assert result.best_bound >= TINY[name] - 1e-6
    assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible


def test_pricing_bounds_every_enumerated_lot_under_random_duals() -> None:
    """For random duals, the best subproblem upper bound of a category is at least
    the reduced cost of every lot that brute force lists and a plan can hold (all
    rules but the graph's are kept by pricing, so every real lot is covered)."""
    rng = np.random.default_rng(7)
    checked = 0
    for seed in range(80):
        inst = instance_from_tables(random_tiny_tables(seed))
        horizon = inst.settings.horizon
        nu = np.concatenate(([0.0], rng.choice([0.0, 0.0, 1.0, 5.0], size=horizon)))
        for data in build_category_data(inst):
            pi = rng.choice([0.0, 0.0, 3.0, 20.0], size=data.n)
            mu = rng.choice([0.0, 0.0, 0.05, 0.3], size=len(data.offers))
            pr = CategoryPricing(data, build_subproblems(inst, data))
            res = pr.price(pi, mu, np.cumsum(nu), iterations=40)
            best = float(res.ub.max()) if len(res.ub) else -np.inf
            pos = {o: i for i, o in enumerate(data.orgs)}
            mu_of = {od.offer.supplier_id: mu[j] for j, od in enumerate(data.offers)}
            for out in profitable_lots(inst, data.cat_id):
                cap = inst.offer[(out.lot.supplier_id, data.cat_id)].capacity
                if out.volume > cap * (1 + 1e-9):
                    continue  # no plan holds it (rule 6); pricing leaves it out
                rc = (
                    out.net
                    - sum(pi[pos[o]] for o in out.lot.members)
                    - mu_of[out.lot.supplier_id] * out.volume
                    - sum(nu[p] for p in out.forming)
                )
                assert best >= rc - 1e-6 * max(1.0, abs(out.net)), (seed, out.lot, best, rc)
                checked += 1
    assert checked > 100


def test_the_proof_phase_and_its_helper_keep_the_bound_honest(monkeypatch) -> None:
    """With the connected heuristic and the LP screen switched off,
    every connected lot and every proof comes from the proof phase, each batch
    shared with the helper process: on random tiny instances with a collaboration
    graph the bound stays at or above the brute-force optimum and ``optimal`` is
    claimed only at it."""
    from consortia.solvers.lots import examine
    from consortia.solvers.lots import solver as lots_solver

    monkeypatch.setattr(lots_solver, "HELPER_FROM", 1)
    monkeypatch.setattr(lots_solver, "HELPER_QUEUE", 10**9)  # the rounds stay here
    monkeypatch.setattr(examine, "grow_connected", lambda *a, **k: (-np.inf, None))
    monkeypatch.setattr(lots_solver.PieceConnectedPricer, "bound", lambda *a: np.inf)
    calls = {"prove": 0, "settled": 0, "here": 0}
    prove, settled = lots_solver._ExactPricing.prove, lots_solver._ExactPricing._settled
    resolve_here = lots_solver.resolve

    def counted_prove(self, *args):
        calls["prove"] += 1
        return prove(self, *args)

    def counted_settled(self, *args):
        calls["settled"] += 1
        return settled(self, *args)

    def counted_resolve(*args):
        calls["here"] += 1
        return resolve_here(*args)

    monkeypatch.setattr(lots_solver._ExactPricing, "prove", counted_prove)
    monkeypatch.setattr(lots_solver._ExactPricing, "_settled", counted_settled)
    monkeypatch.setattr(lots_solver, "resolve", counted_resolve)
    assert _lots_honest_on_tiny_graphs(8) == 8
    # subproblems settled by the helper process: all those not settled here
    assert calls["prove"] >= 3 and calls["settled"] - calls["here"] >= 3, calls


def test_proofs_at_smoothed_duals_keep_the_bound_honest(monkeypatch) -> None:
    """With the connected heuristic and the LP screen switched off every lot comes
    from a proof (or from polishing a proof's lots again at the next duals, which
    must give connected, improving lots in their windows), so proofs follow one
    another, those after the first at duals between the centre and the LP's (with
    a weight of 0.8 on the centre, far from the LP's duals): on random tiny
    instances with a collaboration graph the bound stays at or above the
    brute-force optimum and ``optimal`` is claimed only at it."""
    from consortia.solvers.lots import examine
    from consortia.solvers.lots import solver as lots_solver

    monkeypatch.setattr(lots_solver, "SMOOTHING", 0.8)
    monkeypatch.setattr(lots_solver, "PROOF_BATCH", 2)
    # proving from the start of a timed solve: the rounds between smoothed proofs
    # then go straight to them (no screens, no heuristics)
    monkeypatch.setattr(lots_solver, "PROOF_FROM", 0.0)
    monkeypatch.setattr(examine, "grow_connected", lambda *a, **k: (-np.inf, None))
    monkeypatch.setattr(lots_solver.PieceConnectedPricer, "bound", lambda *a: np.inf)
    calls = {"carry": 0, "bounds": 0, "round": 0, "lp": 0}

    def counted(name, method):
        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return method(self, *args, **kwargs)

        return wrapper

    exact = lots_solver._ExactPricing
    for name in ("carry", "bounds", "round"):
        monkeypatch.setattr(exact, name, counted(name, getattr(exact, name)))
    monkeypatch.setattr(
        lots_solver.LotMaster, "solve_lp", counted("lp", lots_solver.LotMaster.solve_lp)
    )
    revisited: list[int] = []
    revisit = exact.revisit

    def checked_revisit(self, ubs, results, tol):
        """A proof's lots polished again: each connected, in its windows, improving."""
        out = revisit(self, ubs, results, tol)
        for ci, r, idx in out:
            pr, at = self.pricings[ci], results[ci]
            w = pr.weights(np.array([r]), at.pi, at.mu, at.own)[0]
            nlo, nhi, vlo, vhi = lots_solver._window(pr.subs, r)
            volume = float(pr.data.d[idx].sum())
            assert nlo <= len(idx) <= nhi and vlo <= volume <= vhi
            graph = self.graphs[ci][idx][:, idx]
            assert connected_components(graph, directed=False)[0] == 1
            assert float(w[idx].sum()) - float(pr.last_C[r]) > tol
        revisited.append(len(out))
        return out

    monkeypatch.setattr(exact, "revisit", checked_revisit)
    assert _lots_honest_on_tiny_graphs(10, time_limit=60.0) == 10
    assert sum(revisited) >= 1, revisited
    # bounds carries once; a smoothed proof carries the centre's bounds once more
    smoothed = calls["carry"] - calls["bounds"]
    # one LP a round (and one for the integer master of each solve); a round that
    # goes straight to a smoothed proof screens nothing
    straight = calls["lp"] - 10 - calls["round"]
    assert smoothed >= 3 and straight >= 3, calls


def test_rounds_shared_with_the_helper_keep_the_bound_honest(monkeypatch) -> None:
    """Screens and searches of every round shared with the helper process from the
    first subproblem on: on random tiny instances with a collaboration graph the
    bound stays at or above the brute-force optimum, ``optimal`` only at it, and
    the helper did part of the work."""
    from consortia.solvers.lots import solver as lots_solver

    monkeypatch.setattr(lots_solver, "HELPER_QUEUE", 1)
    by_helper = [0]
    share_work = lots_solver.share_work

    def counted(*args, **kwargs):
        done = share_work(*args, **kwargs)
        by_helper[0] += done
        return done

    monkeypatch.setattr(lots_solver, "share_work", counted)
    assert _lots_honest_on_tiny_graphs(6) == 6
    assert by_helper[0] >= 6, by_helper


def test_rounds_past_their_screen_budget_keep_the_bound_honest(monkeypatch) -> None:
    """Rounds whose screening budget is spent at once (none of their subproblems
    LP-screened, all searched unscreened, the proofs settling what is left):
    on random tiny instances with a collaboration graph the bound stays at or above
    the brute-force optimum, ``optimal`` only at it, and the rounds did hand
    unscreened subproblems to the search."""
    from consortia.solvers.lots import solver as lots_solver

    monkeypatch.setattr(lots_solver, "SCREEN_ALL", 0)
    monkeypatch.setattr(lots_solver, "SCREEN_FIRST", 10**6)
    monkeypatch.setattr(lots_solver, "SCREEN_SECONDS", 0.0)
    unscreened = [0]
    screen = lots_solver._ExactPricing.screen

    def counted(self, ubs, results, tol, deadline, budget=None):
        before = [u.copy() for u in ubs]
        out = screen(self, ubs, results, tol, deadline, budget)
        if budget is not None:
            # nothing screened: every subproblem returned keeps its bound
            for ub, task, seeds in out:
                assert seeds is None and -ub == before[task[0]][task[1]]
            unscreened[0] += len(out)
        return out

    monkeypatch.setattr(lots_solver._ExactPricing, "screen", counted)
    assert _lots_honest_on_tiny_graphs(6) == 6
    assert unscreened[0] >= 6, unscreened


def _tiny_graph_instances(seeds: int):
    """(seed, instance) of the random tiny instances among the first `seeds` that
    have a collaboration graph."""
    for seed in range(seeds):
        tables = random_tiny_tables(seed)
        if "collaboration" in tables:
            yield seed, instance_from_tables(tables)


def _lots_honest_on_tiny_graphs(count: int, time_limit: float | None = None) -> int:
    """Solve the first `count` random tiny instances with a collaboration graph and
    a positive optimum with ``lots``: bound (the reported one and the lot
    generation's own) at or above the brute-force optimum, plan feasible and at
    most it, ``optimal`` only at it. Returns how many."""
    checked = 0
    for seed, inst in _tiny_graph_instances(200):
        expected, _ = enumerate_optimum(inst)
        if expected <= 0:
            continue  # nothing to prove
        result = solve(inst, SolveOptions(time_limit=time_limit, formulation="lots"))
        tol = 1e-6 * max(1.0, abs(expected))
        assert result.best_bound >= expected - tol, seed
        # the lot generation's own bound, before the plan's value can hide it
        assert result.root_bound is None or result.root_bound >= expected - tol, seed
        assert result.objective <= expected + tol, seed
        assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible
        if result.status == "optimal":
            assert result.objective == pytest.approx(expected, abs=tol)
        checked += 1
        if checked == count:
            break
    return checked


def test_a_round_lp_stopped_by_its_limit_ends_column_generation_honestly(monkeypatch) -> None:
    """Each round LP gets the time to its deadline (the first the solve's, the
    others the column generation's share): a round LP stopped there ends the
    rounds before any pricing at its unfinished duals, and on random tiny
    instances (with and without a graph) the plan is feasible and at most the
    brute-force optimum, the bound at least it."""
    from consortia.solvers.lots import solver as lots_solver

    seconds: list[float | None] = []
    priced_after_stop = [0]
    solve_lp, price_all = lots_solver.LotMaster.solve_lp, lots_solver._price_all

    def spied_lp(self, *args, **kwargs):
        out = solve_lp(self, *args, **kwargs)
        if "central" in kwargs:  # a round's LP
            seconds.append(kwargs["seconds"])
            self.stopped_here = len(seconds) % 2 == 0  # every second round's, stopped
        return out

    def stopped(self) -> bool:
        return bool(getattr(self, "stopped_here", False))

    def spied_price(master, *args):
        priced_after_stop[0] += stopped(master)
        return price_all(master, *args)

    monkeypatch.setattr(lots_solver.LotMaster, "solve_lp", spied_lp)
    monkeypatch.setattr(lots_solver.LotMaster, "lp_stopped", stopped)
    monkeypatch.setattr(lots_solver, "_price_all", spied_price)
    ended = 0
    for seed in range(24):
        inst = instance_from_tables(random_tiny_tables(seed))
        expected, _ = enumerate_optimum(inst)
        seconds.clear()
        result = solve(inst, SolveOptions(formulation="lots", time_limit=20.0))
        tol = 1e-6 * max(1.0, abs(expected))
        assert assess_plan(inst, [o.lot for o in result.outcomes]).feasible, seed
        assert result.objective <= expected + tol and result.best_bound >= expected - tol, seed
        assert all(s is not None and 0.0 < s <= 20.0 for s in seconds), (seed, seconds)
        if len(seconds) >= 2:
            ended += 1
            assert len(seconds) == 2 and result.iterations == 2, seed
            assert any("in its LP" in m for m in result.messages), seed
    assert priced_after_stop[0] == 0 and ended >= 5, ended


def test_a_screen_that_finds_no_member_set_settles_its_subproblem(monkeypatch) -> None:
    """``examine.screen`` answers -inf where no member set fits a subproblem's
    windows: the round's screen then lowers its bound to -inf, returns it no more
    and counts it screened. +inf is no answer (the helper past its stop): the
    subproblem keeps its bound, is returned to be searched, and the screen says not
    every subproblem was screened."""
    from consortia.rules.connectivity import adjacency
    from consortia.solvers.lots import solver as lots_solver
    from consortia.solvers.lots.master import LotMaster

    checked = 0
    for seed, inst in _tiny_graph_instances(40):
        cats = build_category_data(inst)
        master = LotMaster(inst, cats)
        pricings = [CategoryPricing(d, build_subproblems(inst, d)) for d in cats]
        graphs = [adjacency(pr.data.orgs, inst.neighbours) for pr in pricings]
        results = lots_solver._price_all(
            master, pricings, np.zeros(master.num_rows), inst.settings.horizon, 8
        )
        before = [r.result.ub.copy() for r in results]
        if not any((ub > 1e-9).any() for ub in before):
            continue
        for answer in (math.inf, -math.inf):
            monkeypatch.setattr(lots_solver, "screen", lambda *a, v=answer: (v, None, None))
            exact = lots_solver._ExactPricing(pricings, graphs)
            ubs = [ub.copy() for ub in before]
            try:
                positive = exact.screen(ubs, results, 1e-9, Deadline(None))
            finally:
                exact.close()
            queued = sum(int((ub > 1e-9).sum()) for ub in before)
            if answer == math.inf:
                assert len(positive) == queued and not exact.last_screened_all, seed
                assert all(np.array_equal(a, b) for a, b in zip(ubs, before, strict=True))
            else:
                assert positive == [] and exact.last_screened_all, seed
                for ub, was in zip(ubs, before, strict=True):
                    assert (ub[was > 1e-9] == -math.inf).all(), seed
        checked += 1
    assert checked >= 5, checked
