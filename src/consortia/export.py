"""Write the compact model to an MPS or LP file for other solvers (``consortia export``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from consortia.candidates import build_candidates
from consortia.errors import UsageError
from consortia.instance import Instance
from consortia.model.build import build_model
from consortia.model.index import build_index

FORMATS = ("mps", "lp")


def export_model(inst: Instance, out: str | Path, fmt: str) -> Path:
    """The compact MILP (maximising net savings) with readable names, written atomically.

    Connectivity cuts that the solver adds during the search are not part of the
    file: where the collaboration graph is sparse, a solver reading it may return
    a lot whose members are not connected (see models/compact.md).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = build_model(build_index(build_candidates(inst)))
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=f".{fmt}", dir=out.parent)
    os.close(fd)
    try:
        # the format follows from the temporary file's extension
        model.write(tmp, io_options={"symbolic_solver_labels": True})
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out
