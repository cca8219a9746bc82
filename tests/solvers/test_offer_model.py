"""The offer model's LP-rounded start: a feasible plan, and exact optima after it."""

from __future__ import annotations

import pytest

import consortia.formulations.offers.model as offer_model
import consortia.solvers.offers as offer_solver
from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.rules.plan import assess_plan
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.clock import Deadline
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import merge_friendly, random_tiny_tables


def test_lp_rounded_plans_are_feasible_and_leave_the_model_intact() -> None:
    rounded = 0
    for seed in range(80):
        inst = instance_from_tables(merge_friendly(random_tiny_tables(seed)))
        cands = build_candidates(inst)
        idx = offer_model.build_offer_index(cands)
        if not idx.offers:
            continue
        sm, cols = offer_model.array_offer_model(inst, cands, idx)
        plan = offer_solver.lp_rounded_plan(inst, idx, sm, cols, Deadline(None))
        assert assess_plan(inst, [o.lot for o in plan]).feasible, seed
        rounded += bool(plan)
        # integrality is restored: the model is still the MILP
        integer = sm.highs.getLp().integrality_
        assert sum(1 for k in integer if k == offer_solver.highspy.HighsVarType.kInteger) == (
            sm.binaries
        )
    assert rounded >= 20


def test_optima_after_an_lp_rounded_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offer_solver, "ROUND_LP_MIN_PAIRS", 0)
    used = 0
    for seed in range(80):
        inst = instance_from_tables(merge_friendly(random_tiny_tables(seed)))
        expected, _ = enumerate_optimum(inst)
        result = solve(inst, SolveOptions(formulation="offers"))
        used += any("LP-rounded plan" in m for m in result.messages)
        assert result.status == "optimal", seed
        assert result.objective == pytest.approx(expected, abs=1e-6 * max(1.0, abs(expected)))
    assert used >= 20
