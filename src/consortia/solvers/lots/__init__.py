"""Column generation over lots with vectorised exact pricing (``--formulation lots``).

Modules: ``data`` (per-category numpy arrays), ``subproblems`` (the pricing
subproblems), ``pricing`` (their vectorised solution and bounds), ``master`` (the
set-packing master in highspy), ``bound`` (the valid bound of every round),
``repair`` (member sets to real and relaxed columns), ``solver`` (the loop).
See ``models/lots.md``.
"""

from consortia.solvers.lots.solver import solve_lots

__all__ = ["solve_lots"]
