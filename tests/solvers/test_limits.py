"""Limits that hold: a model that does not fit is skipped or refused before it is
built; the same instance, options and seed give the same plan."""

from __future__ import annotations

import math

import pytest

from conftest import INSTANCES
from consortia import SolveOptions, read_instance
from consortia.errors import ModelTooLarge
from consortia.outputs.terminal import plan_table
from consortia.solvers.registry import solve
from consortia.solvers.result import Result


def test_compact_refused_when_it_does_not_fit_in_memory() -> None:
    inst = read_instance(INSTANCES / "small" / "s20-seed4")
    with pytest.raises(ModelTooLarge, match="GiB") as raised:
        solve(inst, SolveOptions(formulation="compact", memory_limit=1e-6))
    assert raised.value.resource == "memory"


def test_compact_without_time_returns_the_known_plan_without_a_bound() -> None:
    inst = read_instance(INSTANCES / "small" / "s20-seed4")
    result = solve(inst, SolveOptions(formulation="compact", time_limit=1e-3))
    assert result.status == "feasible" and math.isinf(result.best_bound)
    assert any("not built" in m for m in result.messages)
    assert "none proven" in plan_table(result) and "not built" in plan_table(result)


def test_auto_skips_the_compact_finish_that_does_not_fit_and_says_so(
    auto_without_memory: Result,
) -> None:
    result = auto_without_memory
    assert result.formulation == "columns"
    assert any("compact finish skipped" in m and "GiB" in m for m in result.messages)
    assert result.best_bound >= result.objective


@pytest.mark.parametrize("name", ["demo", "tiny/shared_team", "small/s20-seed1"])
def test_same_instance_options_and_seed_give_the_same_plan(name: str) -> None:
    inst = read_instance(INSTANCES / name)
    first = solve(inst, SolveOptions(seed=3))
    second = solve(inst, SolveOptions(seed=3))
    assert first.lots_table().equals(second.lots_table())
    assert first.members_table().equals(second.members_table())
    assert (first.status, first.objective, first.best_bound) == (
        second.status,
        second.objective,
        second.best_bound,
    )


def test_summary_records_versions_and_peak_memory() -> None:
    result = solve(read_instance(INSTANCES / "demo"))
    summary = result.summary()
    assert set(summary["versions"]) >= {"consortia", "highspy", "python"}
    assert summary["peak_memory_mib"] > 10
