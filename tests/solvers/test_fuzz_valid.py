"""Fuzzing the solver with random valid instances: it never crashes, and the plan
it writes always passes the independent checker."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortia.cli import main
from consortia.data.generator import GeneratorOptions, generate_instance, write_instance_tables
from consortia.data.reader import instance_from_tables, read_instance
from consortia.outputs.checker import check_plan
from consortia.rules.plan import assess_plan
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from tiny_random import random_coupled_tables, random_tiny_tables

generated = st.builds(
    GeneratorOptions,
    orgs=st.integers(3, 10),
    categories=st.integers(1, 3),
    suppliers=st.integers(1, 4),
    periods=st.integers(2, 8),
    seed=st.integers(0, 10**6),
)
tiny = st.tuples(
    st.sampled_from([random_tiny_tables, random_coupled_tables]), st.integers(0, 10**6)
)


def solve_and_check(tables: dict, folder: Path) -> None:
    """Solve through the CLI; the written plan passes the checker."""
    instance = write_instance_tables(tables, folder / "inst")
    result = CliRunner().invoke(
        main,
        ["solve", str(instance), "--out", str(folder / "plan"), "--time-limit", "5", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    report = check_plan(read_instance(instance), folder / "plan")
    assert report.ok, report.violations
    summary = json.loads((folder / "plan" / "summary.json").read_text())
    assert summary["status"] in ("optimal", "feasible")


@settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(options=generated)
def test_generated_instances_solve_to_checked_plans(options: GeneratorOptions) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        solve_and_check(generate_instance(options), Path(tmp))


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(source=tiny, formulation=st.sampled_from(["auto", "columns", "compact"]))
def test_tiny_instances_every_formulation_feasible(source, formulation: str) -> None:
    make, seed = source
    inst = instance_from_tables(make(seed))
    result = solve(inst, SolveOptions(time_limit=5, formulation=formulation))
    assessment = assess_plan(inst, [o.lot for o in result.outcomes])
    assert assessment.feasible, assessment.violations
    assert abs(assessment.objective - result.objective) <= 1e-6 * max(1.0, abs(result.objective))


def test_decompose_with_a_time_limit_and_nothing_to_decompose() -> None:
    inst = instance_from_tables(random_tiny_tables(140))
    solve(inst, SolveOptions(time_limit=5, formulation="decompose"))


def test_generator_with_one_organization_is_valid() -> None:
    instance_from_tables(generate_instance(GeneratorOptions(1, 1, 1, 2, seed=4802)))
