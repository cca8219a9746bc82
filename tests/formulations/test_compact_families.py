"""Golden files of the compact model, one per constraint family: a change to a
family shows as a changed text (regenerate deliberately with
CONSORTIA_UPDATE_GOLDEN=1 and review the diff)."""

from __future__ import annotations

import os
from pathlib import Path

import pyomo.environ as pyo
import pytest

from conftest import INSTANCES
from consortia.data.reader import read_instance
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.connectivity import add_connectivity
from consortia.formulations.compact.flow_connectivity import add_flow_connectivity
from consortia.formulations.compact.index import build_index
from consortia.formulations.compact.membership import add_membership
from consortia.formulations.compact.pricing import add_tier_pricing
from consortia.formulations.compact.savings import add_savings
from consortia.formulations.compact.timing import add_timing

GOLDEN = Path(__file__).parent / "golden"
FAMILIES = {
    "membership": lambda m, idx: add_membership(m, idx),
    "tier_pricing": lambda m, idx: add_tier_pricing(m, idx, "multiple_choice"),
    "timing": lambda m, idx: add_timing(m, idx),
    "connectivity": lambda m, idx: add_connectivity(m, idx),
    "flow_connectivity": lambda m, idx: add_flow_connectivity(m, idx),
    "savings": lambda m, idx: add_savings(m, idx),
}
INSTANCE_NAMES = ["connectivity", "parallel_limit"]


def family_texts(instance: str) -> dict[str, str]:
    """Each family's variables, constraints and objective as canonical text."""
    idx = build_index(build_candidates(read_instance(INSTANCES / "tiny" / instance)))
    m = pyo.ConcreteModel()
    seen: set[str] = set()
    texts = {}
    for family, add in FAMILIES.items():
        add(m, idx)
        lines = []
        for component in m.component_objects(descend_into=True):
            name = component.name
            if name in seen:
                continue
            seen.add(name)
            if isinstance(component, pyo.Var):
                for var in component.values():
                    lines.append(f"var {var.name} {var.domain.name} [{var.lb}, {var.ub}]")
            elif isinstance(component, pyo.Constraint):
                for con in component.values():
                    lines.append(f"row {con.name}: {con.lower} <= {con.body} <= {con.upper}")
            elif isinstance(component, pyo.Objective):
                lines.append(f"objective {component.name}: {component.expr}")
            elif isinstance(component, pyo.Expression):
                for expr in component.values():
                    lines.append(f"expr {expr.name} = {expr.expr}")
        texts[family] = "\n".join(lines) + "\n"
    return texts


@pytest.mark.parametrize("instance", INSTANCE_NAMES)
def test_each_family_matches_its_golden_text(instance: str) -> None:
    texts = family_texts(instance)
    for family, text in texts.items():
        path = GOLDEN / f"{instance}.{family}.txt"
        if os.environ.get("CONSORTIA_UPDATE_GOLDEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{family} changed on {instance}"


def test_every_family_adds_something() -> None:
    texts = family_texts("connectivity")
    assert all(text.strip() for text in texts.values()), texts
