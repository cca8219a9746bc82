"""consortia — plan buying consortia: who buys together, from which supplier, when.

The library API::

    from consortia import read_instance, solve, write_result, check_plan

    inst = read_instance("instances/demo")
    result = solve(inst, SolveOptions(time_limit=60))
    write_result(result, "out/demo")
    assert check_plan(inst, "out/demo").ok

The names are imported when first used, so that importing a part of the package
(the command line, the reader) does not import the solvers and Pyomo.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consortia.data.instance import Instance
    from consortia.data.reader import read_instance
    from consortia.errors import ConsortiaError, InvalidInstanceError, Problem, UsageError
    from consortia.outputs.checker import CheckReport, check_plan
    from consortia.outputs.writer import write_result
    from consortia.rules.plan import Lot, assess_plan
    from consortia.solvers.options import SolveOptions
    from consortia.solvers.registry import solve
    from consortia.solvers.result import Result

_HOME = {
    "CheckReport": "consortia.outputs.checker",
    "ConsortiaError": "consortia.errors",
    "Instance": "consortia.data.instance",
    "InvalidInstanceError": "consortia.errors",
    "Lot": "consortia.rules.plan",
    "Problem": "consortia.errors",
    "Result": "consortia.solvers.result",
    "SolveOptions": "consortia.solvers.options",
    "UsageError": "consortia.errors",
    "assess_plan": "consortia.rules.plan",
    "check_plan": "consortia.outputs.checker",
    "read_instance": "consortia.data.reader",
    "solve": "consortia.solvers.registry",
    "write_result": "consortia.outputs.writer",
}
__all__ = [
    "CheckReport",
    "ConsortiaError",
    "Instance",
    "InvalidInstanceError",
    "Lot",
    "Problem",
    "Result",
    "SolveOptions",
    "UsageError",
    "assess_plan",
    "check_plan",
    "read_instance",
    "solve",
    "write_result",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'consortia' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
