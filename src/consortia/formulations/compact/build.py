"""Assemble the compact MILP: a readable list of constraint families."""

from __future__ import annotations

import pyomo.environ as pyo

from consortia.formulations.compact.connectivity import add_connectivity
from consortia.formulations.compact.flow_connectivity import add_flow_connectivity
from consortia.formulations.compact.index import ModelIndex
from consortia.formulations.compact.locks import add_locks
from consortia.formulations.compact.membership import add_membership
from consortia.formulations.compact.own_formation_limits import add_own_formation_limits
from consortia.formulations.compact.pricing import add_tier_pricing
from consortia.formulations.compact.savings import add_savings
from consortia.formulations.compact.supplier_rules import add_offer_shares, add_supplier_limits
from consortia.formulations.compact.timing import add_timing


def build_model(
    idx: ModelIndex, tiers: str = "multiple_choice", exact_connectivity: bool = False
) -> pyo.ConcreteModel:
    """The compact formulation of ``models/compact.md`` over the sparse index sets,
    with the tier formulation `tiers` (see ``model/tiers.py``). With
    `exact_connectivity` the connectivity flow makes the model exact without the
    solver's separator cuts (for a model written to a file)."""
    m = pyo.ConcreteModel(name="consortia-compact")
    add_membership(m, idx)
    add_tier_pricing(m, idx, tiers)
    add_timing(m, idx)
    add_own_formation_limits(m, idx)
    add_supplier_limits(m, idx)
    add_offer_shares(m, idx)
    add_locks(m, idx)
    add_connectivity(m, idx)
    if exact_connectivity:
        add_flow_connectivity(m, idx)
    add_savings(m, idx)
    return m
