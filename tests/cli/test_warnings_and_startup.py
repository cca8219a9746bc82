"""Warnings reach the user (validate and solve print them), and the command line
starts without importing solver, modelling or plotting libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import FIXTURES
from consortia.cli import main

HEAVY = ("pyomo", "highspy", "matplotlib", "dask")


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def _with_warnings(folder: Path) -> Path:
    """The pooling instance with a Windows-1252 file and an implausible quantity."""
    (folder / "organizations.csv").write_bytes(
        b"org_id,name\r\nA,Caf\xe9 \xa3\r\nB,Bexley\r\nC,Canterbury\r\n"
    )
    (folder / "demand.csv").write_text(
        "org_id,category_id,quantity,baseline_price\nA,paper,40,10\nB,paper,30,10.5\n"
        "C,paper,50000,11\n",
        encoding="utf-8",
    )
    return folder


WINDOWS_1252 = "Warning: organizations: organizations.csv is not UTF-8"
IMPLAUSIBLE = "Warning: demand, row 4, column 'quantity': 50000 is over 1,000 times"


def test_validate_prints_warnings_and_exits_0(pooling_copy: Path) -> None:
    code, out = run("validate", _with_warnings(pooling_copy))
    assert code == 0, out
    assert WINDOWS_1252 in out and IMPLAUSIBLE in out
    assert "valid — 3 organizations" in out and "2 warning(s)" in out


def test_validate_without_warnings_says_nothing_of_them() -> None:
    code, out = run("validate", FIXTURES / "pooling")
    assert code == 0 and "Warning" not in out and "warning(s)" not in out


def test_solve_prints_warnings_before_solving(pooling_copy: Path, tmp_path: Path) -> None:
    code, out = run("solve", _with_warnings(pooling_copy), "--out", tmp_path / "plan", "--quiet")
    assert code == 0, out
    assert out.index(WINDOWS_1252) < out.index("Net savings")
    assert out.index(IMPLAUSIBLE) < out.index("Net savings")
    assert json.loads((tmp_path / "plan" / "summary.json").read_text())["status"]


def test_options_made_on_use_still_parse_and_show() -> None:
    code, out = run("solve", "--help")
    assert code == 0 and "--formulation" in out and "decompose" in out
    code, out = run("share", "--help")
    assert code == 0 and "nucleolus" in out
    code, out = run("bench", "--help")
    assert code == 0 and "--formulations" in out
    code, out = run("solve", FIXTURES / "pooling", "--out", "x", "--formulation", "nope")
    assert code == 2 and "'nope' is not one of" in out


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_the_cli_module_imports_nothing_beyond_the_package_and_click() -> None:
    before = _modules_after("import consortia")
    added = _modules_after("import consortia.cli.main") - before
    ours = {m for m in added if m.split(".")[0] in ("consortia", *HEAVY)}
    assert ours <= {"consortia.cli", "consortia.cli.main", "consortia.errors"}, ours


RUN_CLI = "from consortia.cli.main import main\ntry:\n    main([{}])\nexcept SystemExit:\n    pass"
HELP_AND_VALIDATE = ['"--help"', f'"validate", {str(FIXTURES / "pooling")!r}']


def test_help_and_validate_load_no_strategy_and_no_sharing_rules() -> None:
    from consortia.solvers.registry import STRATEGIES

    lazy = {module for module, _, _ in STRATEGIES.values()} | {"consortia.analysis.sharing.rules"}
    for args in HELP_AND_VALIDATE:
        assert not lazy & _modules_after(RUN_CLI.format(args)), args


def test_importing_the_cli_imports_no_solver_or_plotting_library() -> None:
    assert _heavy(_modules_after("import consortia.cli.main")) == []


def test_help_and_validate_import_no_solver_or_plotting_library() -> None:
    for args in HELP_AND_VALIDATE:
        assert _heavy(_modules_after(RUN_CLI.format(args))) == [], args
