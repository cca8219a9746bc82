"""The value of one more formation slot (analysis/slots.py): a difference of two plans."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, INSTANCES
from consortia import read_instance, solve
from consortia.analysis.scenarios import Scenario, apply_scenario
from consortia.analysis.slots import slot_value
from consortia.solvers.options import SolveOptions


def test_demo_one_more_slot() -> None:
    inst = read_instance(INSTANCES / "demo")  # at most 2 formations at once
    result = solve(inst)
    value = slot_value(result, SolveOptions())
    assert value.limit == 2 and value.binding == (3, 4, 5, 6)
    assert value.more is not None
    assert value.more.instance.settings.max_parallel_formations == 3
    assert value.value == pytest.approx(value.more.objective - result.objective)
    assert value.value is not None and value.value >= -1e-6  # it starts from the plan
    line = value.line("GBP")
    assert line.startswith("about ") and "for one more formation slot" in line
    assert "limit 2 reached in 4 period(s); with 3:" in line
    record = value.as_dict()
    assert record["limit"] == 2 and record["binding_periods"] == [3, 4, 5, 6]
    assert record["objective_with_one_more"] == pytest.approx(value.more.objective)
    assert "not a proven value" in str(record["note"])


def test_no_resolve_when_the_limit_does_not_bind() -> None:
    inst = read_instance(INSTANCES / "demo")
    change = {"kind": "setting", "key": "max_parallel_formations", "value": 5}
    wide = apply_scenario(inst, Scenario("wide", (change,)))
    value = slot_value(solve(wide), SolveOptions())
    assert value.limit == 5 and value.binding == () and value.more is None
    assert value.value is None and "not reached in this plan; not solved again" in value.line("GBP")


def test_no_limit_set() -> None:
    result = solve(read_instance(FIXTURES / "pooling"))
    value = slot_value(result, SolveOptions())
    assert value.limit is None and value.more is None
    assert value.line("GBP") == "no formation limit is set"
