"""HiGHS 1.16 can end a MIP in a solve error ("claims optimality, but with …
primal infeasibilities" of 1e-6). ``backend.highs.run`` repeats such a run once
at a tenth of the MIP feasibility tolerance. The random coupled instance of seed
1405 made the exact pricing of column generation hit it (found by the fuzz test
of every formulation): ``auto`` must now solve it to the brute-force optimum."""

from __future__ import annotations

import highspy

from consortia.backend import highs as backend
from consortia.data.reader import instance_from_tables
from consortia.solvers.bruteforce import enumerate_optimum
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import random_coupled_tables


def test_a_mip_solve_error_is_retried_and_the_instance_solved() -> None:
    inst = instance_from_tables(random_coupled_tables(1405))
    expected, _ = enumerate_optimum(inst)
    result = solve(inst, SolveOptions(time_limit=5, formulation="auto"))
    tol = 1e-6 * max(1.0, abs(expected))
    assert result.status == "optimal"
    assert abs(result.objective - expected) <= tol
    assert result.best_bound >= expected - tol


def test_the_retry_restores_the_tolerance(monkeypatch) -> None:
    """A run that errs twice still raises, and leaves the tolerance as it was."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_feasibility_tolerance", 3e-6)
    calls = []

    def failing() -> highspy.HighsStatus:
        calls.append(h.getOptionValue("mip_feasibility_tolerance"))
        return highspy.HighsStatus.kError

    monkeypatch.setattr(h, "run", failing)
    monkeypatch.setattr(h, "getModelStatus", lambda: highspy.HighsModelStatus.kSolveError)
    try:
        backend.run(h)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a run that keeps failing must raise")
    assert len(calls) == 2
    tried = [c[1] if isinstance(c, tuple) else c for c in calls]
    assert abs(tried[1] - 3e-7) < 1e-18  # the second run at a tenth
    got = h.getOptionValue("mip_feasibility_tolerance")
    assert abs((got[1] if isinstance(got, tuple) else got) - 3e-6) < 1e-15


def _lp(h: highspy.Highs, n: int = 400) -> None:
    """max sum x over a dense-ish random packing LP (a few hundred iterations)."""
    import numpy as np

    rng = np.random.default_rng(3)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), rng.random(n) + 1.0)
    for _ in range(n // 2):
        cols = np.sort(rng.choice(n, size=20, replace=False)).astype(np.int32)
        h.addRow(-np.inf, 1.0 + rng.random(), len(cols), cols, rng.random(20) + 0.1)


def test_a_kept_object_gets_the_time_limit_it_is_given_for_each_run() -> None:
    """HiGHS 1.16 compares ``time_limit`` with an object's run time summed over
    all its runs: a limit below what a kept object has run stops its next run at
    once. ``set_time_limit`` (and ``Deadline.apply``) give the next run its own."""
    from consortia.solvers.clock import Deadline

    h = backend.new_highs()
    _lp(h)
    for _ in range(6):
        h.clearSolver()
        backend.run(h)
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    ran = h.getRunTime()  # six runs: half of it is three runs' time
    h.clearSolver()
    h.setOptionValue("time_limit", ran / 2)  # plain: counted from the first run
    backend.run(h)
    assert h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    h.clearSolver()
    backend.set_time_limit(h, ran / 2)
    backend.run(h)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    Deadline(30.0).apply(h)
    assert h.getOptionValue("time_limit")[1] >= h.getRunTime() + 29.0
