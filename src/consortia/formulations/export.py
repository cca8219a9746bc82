"""Write the compact model to an MPS or LP file for other solvers (``consortia export``)."""

from __future__ import annotations

from pathlib import Path

from consortia.data.instance import Instance
from consortia.errors import UsageError
from consortia.folders import check_output_file, mark_text, write_output_file
from consortia.formulations.candidates import build_candidates
from consortia.formulations.compact.build import build_model
from consortia.formulations.compact.index import build_index

FORMATS = ("mps", "lp")


def export_model(inst: Instance, out: str | Path, fmt: str) -> Path:
    """The compact MILP (maximising net savings) with readable names, written atomically.

    The file is the whole problem: connectivity (rule 7) is stated by the flow
    family instead of the separator cuts the solver adds during its search, so any
    MILP solver reading the file reaches the optimum (see models/compact.md).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    out = Path(out)
    check_output_file(out, "export")  # refuse before the work
    model = build_model(build_index(build_candidates(inst)), exact_connectivity=True)

    def write(tmp: Path) -> None:
        # Pyomo picks the format from the file's extension
        body = tmp.with_name(tmp.name + f".{fmt}")
        try:
            model.write(str(body), io_options={"symbolic_solver_labels": True})
            comment = "*" if fmt == "mps" else "\\"
            text = body.read_text(encoding="utf-8")
            tmp.write_text(f"{comment} {mark_text('export')}\n{text}", encoding="utf-8")
        finally:
            body.unlink(missing_ok=True)

    return write_output_file(out, "export", write)
