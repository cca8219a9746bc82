"""The array-built offer model is the Pyomo reference model, row by row."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from consortia.data.reader import instance_from_tables
from consortia.formulations.candidates import build_candidates
from consortia.formulations.offers.arrays import offer_arrays
from consortia.formulations.offers.model import (
    build_offer_index,
    build_offer_model,
    offer_model_applies,
)
from tiny_random import merge_friendly, random_tiny_tables


def _index(data: object) -> tuple:
    return data if isinstance(data, tuple) else (data,)


def _r(value: float) -> float:
    """Rounded to 10 significant digits: the two builders sum in different orders."""
    return float(f"{value:.10g}")


def _row(lower: float, upper: float, coefs: dict) -> tuple:
    """A row up to its sign: the first coefficient (by column name) made positive."""
    coefs = {k: v for k, v in coefs.items() if v != 0}
    if coefs and coefs[min(coefs, key=repr)] < 0:
        coefs = {k: -v for k, v in coefs.items()}
        lower, upper = -upper, -lower
    return (_r(lower), _r(upper), {k: _r(v) for k, v in coefs.items()})


def pyomo_reference(inst, cands, idx) -> tuple[dict, dict, dict]:
    model = build_offer_model(inst, cands, idx)
    form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    names = [(v.parent_component().name, _index(v.index())) for v in form.columns]
    cols = {
        name: (
            -math.inf if v.lb is None else _r(v.lb),
            math.inf if v.ub is None else _r(v.ub),
            v.is_integer(),
        )
        for name, v in zip(names, form.columns, strict=True)
    }
    cost = form.c.toarray()[0]
    objective = {name: _r(c) for name, c in zip(names, cost, strict=True) if c != 0}
    A = form.A.tocsr()
    rows = {}
    for i, (con, kind) in enumerate(form.rows):
        rhs = float(form.rhs[i])
        lower = -math.inf if kind == 1 else rhs
        upper = math.inf if kind == -1 else rhs
        start, end = A.indptr[i], A.indptr[i + 1]
        coefs = {
            names[j]: float(a) for j, a in zip(A.indices[start:end], A.data[start:end], strict=True)
        }
        rows[(con.parent_component().name, _index(con.index()))] = _row(lower, upper, coefs)
    return cols, rows, objective


def array_model(inst, cands, idx) -> tuple[dict, dict, dict]:
    am = offer_arrays(inst, cands, idx)
    names = am.col_names()
    lower, upper = np.concatenate(am.lower), np.concatenate(am.upper)
    integer = np.concatenate(am.integer)
    A = am.matrix
    used = set(A.indices) | set(np.flatnonzero(am.cost))
    cols = {
        names[j]: (_r(lower[j]), _r(upper[j]), bool(integer[j]))
        for j in range(len(names))
        if j in used
    }
    objective = {names[j]: _r(c) for j, c in enumerate(am.cost) if c != 0}
    row_lower, row_upper = np.concatenate(am.row_lower), np.concatenate(am.row_upper)
    rows = {}
    for i, name in enumerate(am.row_names()):
        start, end = A.indptr[i], A.indptr[i + 1]
        coefs = {
            names[j]: float(a) for j, a in zip(A.indices[start:end], A.data[start:end], strict=True)
        }
        rows[name] = _row(float(row_lower[i]), float(row_upper[i]), coefs)
    return cols, rows, objective


@pytest.mark.parametrize("chunk", range(2))
def test_same_model_on_random_tiny_instances(chunk: int) -> None:
    compared = {"limit": 0, "no limit": 0}
    for seed in range(chunk, 160, 2):
        inst = instance_from_tables(merge_friendly(random_tiny_tables(seed)))
        cands = build_candidates(inst)
        assert offer_model_applies(cands)
        idx = build_offer_index(cands)
        if not idx.offers:
            continue
        assert array_model(inst, cands, idx) == pyomo_reference(inst, cands, idx), seed
        compared["no limit" if inst.settings.max_parallel_formations is None else "limit"] += 1
    assert min(compared.values()) >= 15
