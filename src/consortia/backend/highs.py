"""Hand a Pyomo model to HiGHS in memory as sparse arrays, and back.

Pyomo's standard-form compiler turns the model into a CSC matrix in one pass;
highspy then takes whole numpy arrays (no per-element calls), which is far faster
than walking the model constraint by constraint.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

MIP_TOLERANCE_RETRY = 0.1  # a MIP ending in a solve error reruns at this times its tolerance


@dataclass
class SolverModel:
    highs: highspy.Highs
    column: dict[int, int]  # id(VarData) -> column
    num_cols: int
    num_rows: int
    nonzeros: int
    binaries: int
    offset: float
    cost: np.ndarray

    def objective_of(self, col_value: np.ndarray) -> float:
        """The model objective of a column vector, computed here rather than trusted."""
        return float(self.cost @ col_value) + self.offset

    def col(self, var: object) -> int:
        return self.column[id(var)]


def to_highs(model: pyo.ConcreteModel) -> SolverModel:
    """Pass the (maximising) model to a fresh Highs object."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    columns = form.columns
    n = len(columns)
    lower = np.array([-np.inf if v.lb is None else v.lb for v in columns], dtype=float)
    upper = np.array([np.inf if v.ub is None else v.ub for v in columns], dtype=float)
    integer = np.array([i for i, v in enumerate(columns) if v.is_integer()], dtype=np.int32)

    h = new_highs()
    h.addVars(n, lower, upper)
    cost = np.asarray(form.c.toarray()[0] if form.c.shape[0] else np.zeros(n), dtype=float)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    scale_objective(h, cost)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    offset = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    if offset:
        h.changeObjectiveOffset(offset)

    A = form.A.tocsr()
    kinds = np.array([mult for _, mult in form.rows], dtype=int)
    rhs = np.asarray(form.rhs, dtype=float)
    row_lower = np.where(kinds == 1, -np.inf, rhs)
    row_upper = np.where(kinds == -1, np.inf, rhs)
    if A.shape[0]:
        h.addRows(
            A.shape[0],
            row_lower,
            row_upper,
            A.nnz,
            A.indptr[:-1].astype(np.int32),
            A.indices.astype(np.int32),
            A.data.astype(float),
        )
    if len(integer):
        h.changeColsIntegrality(
            len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger)
        )
    return SolverModel(
        highs=h,
        column={id(v): i for i, v in enumerate(columns)},
        num_cols=n,
        num_rows=A.shape[0],
        nonzeros=int(A.nnz),
        binaries=len(integer),
        offset=offset,
        cost=cost,
    )


def scale_objective(h: highspy.Highs, cost: np.ndarray) -> None:
    """Let HiGHS scale large objective coefficients down (by a power of two).

    Savings run to millions; unscaled, HiGHS warns of excessively large costs and
    its MIP search can stall (Delmaire p13: no proof in 60 s unscaled, optimal in
    10 s scaled). Reported values stay unscaled.
    """
    biggest = float(np.abs(cost).max()) if len(cost) else 0.0
    if biggest > 1e2:
        h.setOptionValue("user_objective_scale", -int(math.floor(math.log2(biggest / 1e2))))


def objective_scale(h: highspy.Highs) -> float:
    """The factor HiGHS applies to the objective it reports inside a search
    (callbacks): 2**user_objective_scale (``scale_objective``)."""
    got = h.getOptionValue("user_objective_scale")
    power = got[1] if isinstance(got, tuple) else got
    return 2.0 ** int(power)


# A request to stop every search of this process (Ctrl-C, SIGTERM): MIP searches
# see it through their interrupt callback, solver loops through their Deadline.
_stop_requested = threading.Event()
_abort_requested = threading.Event()


def request_stop() -> None:
    """Ask every running and later search of this process to stop with what it has."""
    _stop_requested.set()


def stop_requested() -> bool:
    return _stop_requested.is_set()


def request_abort() -> None:
    """A second signal: stop, and write nothing. Kept as a flag as well as raised,
    because an exception raised while HiGHS runs a Python callback may not reach
    the command."""
    _abort_requested.set()
    _stop_requested.set()


def abort_requested() -> bool:
    return _abort_requested.is_set()


def clear_stop() -> None:
    _stop_requested.clear()
    _abort_requested.clear()


def _interrupt_on_request(event: object) -> None:
    if _stop_requested.is_set():
        event.data_in.user_interrupt = True  # type: ignore[attr-defined]


def new_highs() -> highspy.Highs:
    """A silent Highs object (the library prints a banner on first construction)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    # HiGHS keeps one thread scheduler per process and refuses a run whose thread
    # count differs from it; its MIP search uses one core anyway, so every Highs
    # object here uses one thread and parallelism comes from processes.
    h.setOptionValue("threads", 1)
    # MIP searches only: the simplex and interior-point callbacks are called so
    # often that they slow LPs down; LP loops check their Deadline between solves.
    h.cbMipInterrupt.subscribe(_interrupt_on_request)
    return h


def set_time_limit(h: highspy.Highs, seconds: float) -> None:
    """Give the next run of `h` `seconds` (inf: none). HiGHS 1.16 compares its
    ``time_limit`` with the object's run time summed over every run so far, so a
    kept object (a master re-solved each round, a screen re-solved per subproblem)
    that has run for longer than a plain limit would stop its next run at once."""
    h.setOptionValue("time_limit", h.getRunTime() + seconds)


# Seconds between two progress reports of one phase (``solvers.options.Phase``).
REPORT_SECONDS = 2.0


def watch_mip(
    h: highspy.Highs,
    report: Callable[[float, float | None, float | None], None],
    every: float = REPORT_SECONDS,
) -> Callable[[], None]:
    """Call ``report(seconds, incumbent, bound)`` from the MIP searches of `h` at
    most every `every` seconds (seconds since this call; None where HiGHS has no
    finite value yet; values in the model's units, not scaled by
    ``scale_objective``). Returns the function that stops the reports."""
    began = time.perf_counter()
    last = [-math.inf]

    def on_event(event: object) -> None:
        now = time.perf_counter() - began
        if now - last[0] < every:
            return
        last[0] = now
        out = event.data_out  # type: ignore[attr-defined]
        unscale = 1.0 / objective_scale(h)
        value = float(out.objective_function_value) * unscale
        bound = float(out.mip_dual_bound) * unscale
        report(
            now,
            value if math.isfinite(value) else None,
            bound if math.isfinite(bound) else None,
        )

    h.cbMipInterrupt.subscribe(on_event)
    return lambda: h.cbMipInterrupt.unsubscribe(on_event)


def run(h: highspy.Highs) -> None:
    """Run HiGHS; a refused run is an internal error, never a silent empty answer
    (unless a stop was requested: an interrupted run may end in an error state,
    and the caller then finds no solution and keeps what it had).

    HiGHS 1.16 can end a MIP in a solve error when the optimum it found breaks a
    row by its own feasibility tolerance (seen on a pricing MIP with lazy cuts:
    "claims optimality, but with … primal infeasibilities" of 1e-6); such a run is
    repeated once with MIP_TOLERANCE_RETRY times that tolerance, which solves it."""
    status = h.run()
    if (
        status == highspy.HighsStatus.kError
        and h.getModelStatus() == highspy.HighsModelStatus.kSolveError
        and not stop_requested()
    ):
        got = h.getOptionValue("mip_feasibility_tolerance")
        tolerance = float(got[1] if isinstance(got, tuple) else got)
        h.setOptionValue("mip_feasibility_tolerance", tolerance * MIP_TOLERANCE_RETRY)
        try:
            status = h.run()
        finally:
            h.setOptionValue("mip_feasibility_tolerance", tolerance)
    if status == highspy.HighsStatus.kError and not stop_requested():
        raise RuntimeError(f"HiGHS refused to solve (model status {h.getModelStatus()})")


def add_row(sm: SolverModel, lower: float, upper: float, terms: list[tuple[object, float]]) -> None:
    """Add one row given as (Pyomo variable, coefficient) terms of distinct variables."""
    cols = np.array([sm.col(v) for v, _ in terms], dtype=np.int32)
    vals = np.array([a for _, a in terms], dtype=float)
    sm.highs.addRow(lower, upper, len(cols), cols, vals)
    sm.num_rows += 1
    sm.nonzeros += len(cols)


def solution_consistent(sm: SolverModel) -> bool:
    """False when HiGHS reports an objective that its returned columns do not have
    (seen with HiGHS 1.16 after a MIP start); then solve again without the start."""
    info = sm.highs.getInfo()
    if info.primal_solution_status == 0:
        return True
    col_value = np.asarray(sm.highs.getSolution().col_value)
    if len(col_value) != sm.num_cols:
        return True
    reported = float(info.objective_function_value)
    return abs(sm.objective_of(col_value) - reported) <= 1e-6 * max(1.0, abs(reported))
