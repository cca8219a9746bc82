"""Every result says in one sentence why its search stopped (``solvers.base.stop_reason``),
and every long phase of a solve reports its progress under its own name."""

from __future__ import annotations

import json
import math
from pathlib import Path

import highspy
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import SolveOptions, read_instance
from consortia.backend.highs import clear_stop, new_highs, request_stop
from consortia.cli import main
from consortia.formulations import pool
from consortia.solvers.base import SolveContext, finish
from consortia.solvers.options import Progress
from consortia.solvers.registry import solve
from consortia.solvers.result import Result


def test_a_tiny_instance_solved_to_optimality_says_so() -> None:
    result = solve(read_instance(INSTANCES / "tiny" / "capacity"))
    assert result.status == "optimal"
    assert result.stop_reason == "proven optimal within the gap asked (1e-6)"
    loose = solve(read_instance(INSTANCES / "tiny" / "capacity"), SolveOptions(gap=0.05))
    assert loose.stop_reason == "proven optimal within the gap asked (0.05)"
    assert result.summary()["stop_reason"] == result.stop_reason


def test_converged_column_generation_says_the_integer_master_proved_the_plan() -> None:
    result = solve(read_instance(INSTANCES / "demo"))
    assert result.status == "optimal" and result.formulation == "columns"
    assert result.stop_reason == (
        "column generation converged; the integer master proved the plan optimal"
    )


def test_time_limit_on_a_medium_instance_is_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    code = CliRunner().invoke(
        main,
        ["solve", str(INSTANCES / "medium" / "m200-seed1"), "--out", str(out)]
        + ["--time-limit", "3", "--quiet"],
    )
    assert code.exit_code == 0, code.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "feasible"
    assert summary["stop_reason"].startswith(
        "time limit reached (3 s) with a plan and a proven gap"
    )
    stopped = next(line for line in code.stdout.splitlines() if line.startswith("Stopped"))
    assert stopped.endswith(summary["stop_reason"])
    for key in ("status", "objective", "best_bound", "gap", "messages", "versions"):
        assert key in summary  # the keys other readers rely on stay


def test_summary_json_of_an_optimal_plan_has_its_stop_reason(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    code = CliRunner().invoke(
        main, ["solve", str(INSTANCES / "tiny" / "capacity"), "--out", str(out), "--quiet"]
    )
    assert code.exit_code == 0, code.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stop_reason"] == "proven optimal within the gap asked (1e-6)"
    assert "Stopped            proven optimal within the gap asked (1e-6)" in code.stdout


def test_ctrl_c_is_the_reason_when_a_stop_was_requested() -> None:
    inst = read_instance(INSTANCES / "small" / "s20-seed1")
    request_stop()
    try:
        result = solve(inst, SolveOptions(formulation="compact"))
    finally:
        clear_stop()
    assert result.status == "feasible"
    assert result.stop_reason.startswith("stopped by Ctrl-C with a plan")


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (
            {
                "messages": [
                    "connected pricing found no improving lot but could not prove none exists"
                ]
            },
            "search stalled: no improving lot found and the bound could not be closed",
        ),
        (
            {"model_size": {"converged": 1}},
            "column generation converged; the integer master's best plan over its columns stays",
        ),
        (
            {"messages": ["limit: compact finish skipped: ... GiB left under the memory limit"]},
            "memory limit: a model that did not fit was left out; stopped with a plan and a "
            "proven gap of",
        ),
        ({}, "the search ended with a plan and a proven gap of 50.0%, above the gap asked (1e-6)"),
    ],
)
def test_finish_words_each_reason(details: dict, expected: str) -> None:
    ctx = SolveContext.of(read_instance(INSTANCES / "demo"))
    plan = ctx.greedy
    value = sum(o.net for o in plan)
    assert finish(ctx, "columns", plan, 2 * value, **details).stop_reason.startswith(expected)


def test_finish_words_time_and_the_missing_bound() -> None:
    inst = read_instance(INSTANCES / "demo")
    ctx = SolveContext.of(inst, SolveOptions(time_limit=120))
    plan = ctx.greedy
    cut = finish(
        ctx, "columns", plan, math.inf, messages=["column generation stopped at its time share"]
    )
    assert cut.stop_reason == "time limit reached (120 s) with a plan but no proven bound"
    by_hand = finish(SolveContext.of(inst), "regional", plan, 4 * sum(o.net for o in plan))
    assert (
        by_hand.stop_reason == "the by-hand plan, no search: the member bound leaves a gap of 75.0%"
    )


def test_auto_restates_the_reason_when_the_compact_finish_does_not_fit(
    auto_without_memory: Result,
) -> None:
    result = auto_without_memory
    assert any("compact finish skipped" in m for m in result.messages)
    assert result.stop_reason.startswith("memory limit: a model that did not fit was left out")


def test_every_phase_of_a_solve_reports_under_its_name() -> None:
    seen: list[Progress] = []
    solve(read_instance(INSTANCES / "demo"), SolveOptions(progress=seen.append))
    stages = [p.stage for p in seen]
    for stage in ("candidate sets", "greedy", "column generation", "integer master"):
        assert stage in stages
    # phases come in order: the integer master after column generation
    assert stages.index("integer master") > stages.index("column generation")
    master = [p for p in seen if p.stage == "integer master"]
    assert all(p.bound_name == "pool bound" for p in master)
    assert master[0].elapsed == 0.0 and master[0].incumbent is not None


def test_solve_pool_reports_its_start_and_then_from_the_mip_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The integer master over a pool: one report as it begins, then HiGHS's MIP
    callback with incumbent and bound (every event here; every two seconds in use)."""
    monkeypatch.setattr(pool, "REPORT_EVERY", 0.0)
    rng = np.random.default_rng(1)
    n, rows = 200, 100  # a set packing that HiGHS has to search a little
    h = new_highs()
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), rng.uniform(1.0, 10.0, n))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for _ in range(rows):
        cols = rng.choice(n, 6, replace=False).astype(np.int32)
        h.addRow(-np.inf, 1.0, len(cols), cols, np.ones(len(cols)))
    inst = read_instance(INSTANCES / "tiny" / "capacity")
    column = solve(inst).outcomes[0]  # any priced lot: the model in h is what is solved
    seen: list[tuple[float, float | None, float | None]] = []
    with pool.pool_reporting(lambda *report: seen.append(report)):
        plan, bound = pool.solve_pool(h, [column] * n, [], 10.0, 1e-9)
    assert seen[0] == (0.0, None, None) and len(seen) > 1
    found = [(value, top) for _, value, top in seen if value is not None and top is not None]
    assert found and all(top >= value - 1e-6 for value, top in found)
    assert plan and math.isfinite(bound)
    seen.clear()
    pool.solve_pool(h, [column] * n, [], 10.0, 1e-9)  # outside the block: no reports
    assert seen == []


def test_progress_printer_names_each_phase_once_every_two_seconds(capsys) -> None:
    from consortia.cli.main import ProgressPrinter

    printer = ProgressPrinter(after=0.0, every=2.0)
    printer(Progress("column generation", 3.0, 10.0, 20.0))
    printer(Progress("column generation", 4.0, 11.0, 20.0))  # within two seconds: not shown
    printer(Progress("integer master", 0.0, 12.0, None, "pool bound"))
    printer(Progress("integer master", 2.5, 13.0, 14.0, "pool bound"))
    printer(Progress("checking the plan", 0.0, None, None))
    printer.close()
    lines = [line.strip() for line in capsys.readouterr().err.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line]
    assert lines[0].startswith("column generation:    3.0s  plan 10  bound 20  gap 50.00%")
    assert not any("plan 11" in line for line in lines)
    assert lines[1].startswith("integer master:    0.0s  plan 12")
    assert lines[2].startswith("integer master:    2.5s  plan 13  pool bound 14")
    assert lines[3] == "checking the plan:    0.0s"


def test_compact_milp_reports_in_the_models_units() -> None:
    """HiGHS's callbacks see the objective scaled down (``scale_objective``): the
    reported incumbents, bounds and the root bound are scaled back."""
    seen: list[Progress] = []
    inst = read_instance(INSTANCES / "small" / "s20-seed1")
    result = solve(inst, SolveOptions(formulation="compact", progress=seen.append))
    assert result.status == "optimal"
    assert "compact model build" in {p.stage for p in seen}
    milp = [p for p in seen if p.stage == "compact MILP"]
    assert milp and all(p.incumbent is not None for p in milp)
    for p in milp:
        assert 0.5 * result.objective <= p.incumbent <= result.objective * (1 + 1e-9)
        assert p.bound is None or p.bound >= result.objective * (1 - 1e-9)
    assert result.root_bound is not None and result.root_bound >= result.objective * (1 - 1e-9)


def test_a_result_without_a_plan_keeps_its_reason_when_restated() -> None:
    """A wrapping strategy (``auto``) restates results; one without a plan must not be
    described as a plan without a bound."""
    from consortia.solvers.base import finish_without_plan, restate

    inst = read_instance(Path(__file__).resolve().parents[2] / "instances/tiny/infeasible_locks")
    ctx = SolveContext.of(inst)
    for proven, words in ((True, "(proven)"), (False, "stopped before")):
        result = restate(ctx, finish_without_plan(ctx, "compact", proven=proven), "a note")
        assert words in result.stop_reason and "with a plan" not in result.stop_reason
