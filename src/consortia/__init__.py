"""consortia — plan buying consortia: who buys together, from which supplier, when.

The library API::

    from consortia import read_instance, solve, write_result, check_plan

    inst = read_instance("instances/demo")
    result = solve(inst, SolveOptions(time_limit=60))
    write_result(result, "out/demo")
    assert check_plan(inst, "out/demo").ok
"""

from consortia.data.instance import Instance
from consortia.data.reader import read_instance
from consortia.errors import ConsortiaError, InvalidInstanceError, Problem, UsageError
from consortia.outputs.checker import CheckReport, check_plan
from consortia.outputs.writer import write_result
from consortia.rules.plan import Lot, assess_plan
from consortia.solvers.options import SolveOptions
from consortia.solvers.registry import solve
from consortia.solvers.result import Result

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
