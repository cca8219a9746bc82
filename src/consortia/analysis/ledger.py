"""The run ledger: every solve recorded in an embedded SQLite database.

Default location ``.consortia/runs.sqlite`` under the working directory (or the
``CONSORTIA_LEDGER`` environment variable; ``--ledger PATH`` on the command line).
Concurrent writers — parallel solves in several processes — are safe: the
database runs in WAL mode and every record is one ``BEGIN IMMEDIATE``
transaction, retried while another writer holds the lock. The schema carries a
version; a ledger written by a newer version is refused rather than misread.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from consortia.errors import UsageError

SCHEMA_VERSION = 1
DEFAULT_PATH = Path(".consortia") / "runs.sqlite"
FIELDS = (
    "id",
    "created",
    "command",
    "instance",
    "instance_sha256",
    "scenario",
    "formulation",
    "options",
    "versions",
    "status",
    "objective",
    "best_bound",
    "gap",
    "timings",
    "output",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    command TEXT NOT NULL,
    instance TEXT NOT NULL,
    instance_sha256 TEXT NOT NULL,
    scenario TEXT,
    formulation TEXT,
    options TEXT NOT NULL,
    versions TEXT NOT NULL,
    status TEXT NOT NULL,
    objective REAL,
    best_bound REAL,
    gap REAL,
    timings TEXT NOT NULL,
    output TEXT
);
"""


@dataclass
class RunRecord:
    command: str
    instance: str
    instance_sha256: str
    status: str
    objective: float | None
    best_bound: float | None
    gap: float | None
    formulation: str | None = None
    scenario: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    output: str | None = None


def default_path() -> Path:
    return Path(os.environ.get("CONSORTIA_LEDGER", DEFAULT_PATH))


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("consortia", "pyomo", "highspy", "pandas", "networkx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "unknown"
    return out


class Ledger:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                con.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) > SCHEMA_VERSION:
                con.close()
                raise UsageError(
                    f"the ledger {self.path} has schema version {row[0]}, newer than this "
                    f"consortia ({SCHEMA_VERSION}); use a newer consortia or another --ledger"
                )
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"the ledger {self.path} cannot be used: {exc}") from None
        return con

    def record(self, run: RunRecord) -> int:
        """Append one run; returns its id."""
        values = (
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            run.command,
            run.instance,
            run.instance_sha256,
            run.scenario,
            run.formulation,
            json.dumps(run.options, sort_keys=True),
            json.dumps(versions(), sort_keys=True),
            run.status,
            run.objective,
            run.best_bound,
            run.gap,
            json.dumps(run.timings, sort_keys=True),
            run.output,
        )
        con = self._connect()
        try:
            for attempt in range(50):
                try:
                    con.execute("BEGIN IMMEDIATE")
                    cur = con.execute(
                        "INSERT INTO runs (created, command, instance, instance_sha256, scenario,"
                        " formulation, options, versions, status, objective, best_bound, gap,"
                        " timings, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values,
                    )
                    con.execute("COMMIT")
                    return int(cur.lastrowid or 0)
                except sqlite3.OperationalError as exc:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    time.sleep(0.05 * (attempt + 1))
            raise UsageError(f"the ledger {self.path} stayed locked; the run was not recorded")
        finally:
            con.close()

    def runs(self, limit: int | None = None) -> list[dict[str, Any]]:
        con = self._connect()
        try:
            con.row_factory = sqlite3.Row
            sql = "SELECT * FROM runs ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
            return [dict(row) for row in con.execute(sql)]
        finally:
            con.close()

    def get(self, run_id: int) -> dict[str, Any]:
        con = self._connect()
        try:
            con.row_factory = sqlite3.Row
            row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        finally:
            con.close()
        if row is None:
            raise UsageError(f"no run {run_id} in the ledger {self.path}")
        return dict(row)
