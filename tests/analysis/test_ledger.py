"""The run ledger: records, CLI, schema version, concurrent writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from consortia.analysis.ledger import SCHEMA_VERSION, Ledger, RunRecord
from consortia.cli import main
from consortia.errors import UsageError


def _record(i: int) -> RunRecord:
    return RunRecord(
        "solve",
        f"inst{i}",
        "ab" * 32,
        "optimal",
        float(i),
        float(i),
        0.0,
        formulation="columns",
        options={"seed": i},
        timings={"solve": 0.1},
    )


def _writer(path: str, start: int, count: int) -> None:
    ledger = Ledger(path)
    for i in range(start, start + count):
        ledger.record(_record(i))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.sqlite")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, k * 100, 40)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = Ledger(path).runs()
    assert len(rows) == 160
    assert len({r["id"] for r in rows}) == 160
    assert sorted(r["objective"] for r in rows) == sorted(
        float(k * 100 + i) for k in range(4) for i in range(40)
    )
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    Ledger(path).record(_record(1))
    with sqlite3.connect(path) as con:
        con.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    with pytest.raises(UsageError, match="newer"):
        Ledger(path).runs()


def test_solve_is_recorded_and_runs_commands_read_it(tmp_path: Path) -> None:
    ledger = tmp_path / "runs.sqlite"
    runner = CliRunner()
    for formulation in ("columns", "compact"):
        result = runner.invoke(
            main,
            [
                "solve",
                str(FIXTURES / "pooling"),
                "--out",
                str(tmp_path / formulation),
                "--formulation",
                formulation,
                "--quiet",
                "--ledger",
                str(ledger),
            ],
        )
        assert result.exit_code == 0, result.output
    rows = Ledger(ledger).runs()
    assert [r["formulation"] for r in rows] == ["compact", "columns"]
    assert all(abs(r["objective"] - 170) < 1e-6 and r["status"] == "optimal" for r in rows)
    assert '"highspy"' in rows[0]["versions"] and '"seed": 0' in rows[0]["options"]
    listing = runner.invoke(main, ["runs", "list", "--ledger", str(ledger)])
    assert listing.exit_code == 0 and "pooling" in listing.output
    shown = runner.invoke(main, ["runs", "show", "1", "--ledger", str(ledger)])
    assert shown.exit_code == 0 and "instance_sha256" in shown.output
    compared = runner.invoke(main, ["runs", "compare", "1", "2", "--ledger", str(ledger)])
    assert compared.exit_code == 0 and "* formulation" in compared.output
    missing = runner.invoke(main, ["runs", "show", "99", "--ledger", str(ledger)])
    assert missing.exit_code == 2 and "no run 99" in missing.output


def test_corrupt_ledger_is_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(main, ["runs", "list", "--ledger", str(path)])
    assert result.exit_code == 2 and "cannot be used" in result.output
