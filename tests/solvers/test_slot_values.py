"""What one more formation slot is worth: the lot master's duals of the formation rows."""

from __future__ import annotations

import pytest

from conftest import INSTANCES
from consortia import read_instance
from consortia.outputs.terminal import slot_sentence
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve


@pytest.mark.parametrize("formulation", ["lots", "columns"])
def test_a_binding_formation_limit_has_the_value_of_the_lot_it_keeps_out(formulation) -> None:
    # parallel_limit: two lots worth 20 each compete for the single slot of
    # periods 1-2 (instances/tiny/README.md): one more slot there is worth 20
    inst = read_instance(INSTANCES / "tiny" / "parallel_limit")
    result = solve(inst, SolveOptions(formulation=formulation))
    assert result.objective == 20
    early = sum(v for p, v in result.slot_values.items() if p <= 2)
    assert early >= 20 - 1e-6
    assert all(v > 0 for v in result.slot_values.values())
    assert result.summary()["formation_slot_values_lp"] == {
        str(p): v for p, v in sorted(result.slot_values.items())
    }


@pytest.mark.parametrize("formulation", ["lots", "columns"])
def test_no_slot_value_without_a_formation_limit(formulation) -> None:
    inst = read_instance(INSTANCES / "tiny" / "tier_threshold")
    assert inst.settings.max_parallel_formations is None
    assert solve(inst, SolveOptions(formulation=formulation)).slot_values == {}


def test_the_sentence_names_the_three_best_periods_with_labels() -> None:
    text = slot_sentence({1: 5.0, 2: 700.0, 3: 40.0, 4: 9.0}, "2027Q1", "GBP")
    assert text.startswith(
        "one more formation is worth about period 2 (2027Q2) 700.00 GBP, "
        "period 3 (2027Q3) 40.00 GBP, period 4 (2027Q4) 9.00 GBP"
    )
    assert "period 1 " not in text
