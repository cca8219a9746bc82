"""One solve context per solve: candidate sets and the greedy plan are built once,
one deadline, one finish."""

from __future__ import annotations

import math
import sys
import time
from collections import Counter

import pytest

from conftest import INSTANCES
from consortia import SolveOptions, read_instance
from consortia.formulations import candidates, greedy
from consortia.solvers import columns
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.clock import Deadline
from consortia.solvers.registry import solve, strategy


def _count_calls(monkeypatch: pytest.MonkeyPatch, calls: Counter, module, name: str) -> None:
    """Count calls of module.name, wherever a consortia module imported it."""
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    for loaded in list(sys.modules.values()):
        if getattr(loaded, "__name__", "").startswith("consortia") and (
            getattr(loaded, name, None) is original
        ):
            monkeypatch.setattr(loaded, name, counted)


def test_auto_builds_candidates_and_greedy_plan_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter = Counter()
    _count_calls(monkeypatch, calls, candidates, "build_candidates")
    _count_calls(monkeypatch, calls, greedy, "proposed_lots")
    _count_calls(monkeypatch, calls, greedy, "schedule_lots")
    real = columns.ColumnStrategy.solve

    def unproven(self, ctx):  # make auto go on to the compact finish
        result = real(self, ctx)
        result.status = "feasible"
        return result

    monkeypatch.setattr(columns.ColumnStrategy, "solve", unproven)
    result = solve(read_instance(INSTANCES / "demo"), SolveOptions(gap=0))
    assert result.formulation == "columns+compact"
    assert result.objective == pytest.approx(189343.67, abs=0.01)
    assert calls == Counter({"build_candidates": 1, "proposed_lots": 1, "schedule_lots": 1})


def test_unknown_and_unsupported_formulations_are_refused_with_a_reason() -> None:
    from consortia.errors import UsageError

    with pytest.raises(UsageError, match="known: auto, columns"):
        strategy("nonsense")
    with pytest.raises(UsageError, match="collaboration graph"):
        solve(read_instance(INSTANCES / "demo"), SolveOptions(formulation="offers"))


def test_deadline_shares_and_limits() -> None:
    assert Deadline(None).remaining() is None and Deadline(None).limit() is None
    d = Deadline(10.0)
    assert 9.0 < d.remaining() <= 10.0
    assert 4.0 < d.share(0.5).remaining() <= 5.0
    assert not d.expired() and d.expired(margin=11.0)
    late = Deadline(0.01)
    time.sleep(0.02)
    assert late.expired() and late.limit(0.05) == 0.05


def test_a_capped_deadline_ends_at_the_earlier_end_and_reads_as_wall_time() -> None:
    d = Deadline(10.0)
    assert 1.0 < d.capped(2.0).remaining() <= 2.0
    assert 9.0 < d.capped(60.0).remaining() <= 10.0
    assert 1.0 < Deadline(None).capped(2.0).remaining() <= 2.0
    assert Deadline(None).wall() == math.inf
    assert 9.0 < d.wall() - time.time() <= 10.0
    assert Deadline(0.0).capped(5.0).expired()


def test_finish_never_claims_optimal_beyond_the_gap_or_without_proof() -> None:
    inst = read_instance(INSTANCES / "demo")
    ctx = SolveContext.of(inst, SolveOptions(gap=0.01))
    plan = ctx.greedy
    value = sum(o.net for o in plan)
    assert finish(ctx, "x", plan, value * 1.005).status == "optimal"
    assert finish(ctx, "x", plan, value * 1.02).status == "feasible"
    assert finish(ctx, "x", plan, value, proven=False).status == "feasible"
    # a bound below the plan is raised to it: a plan is its own proof
    assert finish(ctx, "x", plan, value - 1).best_bound == pytest.approx(value)


def test_registry_help_matches_each_strategy() -> None:
    from consortia.solvers.registry import STRATEGIES

    for name, (_, _, text) in STRATEGIES.items():
        found = strategy(name)
        assert found.name == name and found.help == text, name
