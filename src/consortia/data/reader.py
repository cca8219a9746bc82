"""Read an instance from a folder of CSV files or an .xlsx workbook (spec section 6)."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from consortia.data import validation as v
from consortia.data.instance import Instance, Settings
from consortia.data.schema import TABLES
from consortia.errors import InvalidInstanceError, Problem, UsageError


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance; raise InvalidInstanceError listing every problem."""
    path = Path(path)
    raw, problems = load_raw_tables(path)
    if problems:
        raise InvalidInstanceError(problems)
    inst = instance_from_tables(raw, name=path.stem if path.is_file() else path.name)
    return dataclasses.replace(inst, source=str(path.resolve()))


def load_raw_tables(path: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Every table as strings, from a CSV folder or a workbook; unreadable files are problems."""
    if not path.exists():
        raise UsageError(f"no instance at '{path}'")
    if path.is_dir():
        return _load_csv_folder(path)
    if path.suffix.lower() == ".xlsx":
        return _load_workbook(path)
    raise UsageError(f"'{path}' is neither a folder of CSV files nor an .xlsx workbook")


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object).where(frame.notna(), "")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.map(lambda x: str(x).strip())


def _load_csv_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    raw: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for file in sorted(folder.glob("*.csv")):
        try:
            frame = pd.read_csv(
                file, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8"
            )
        except pd.errors.EmptyDataError:
            problems.append(Problem(file.stem, None, None, "file is empty (no header row)"))
            continue
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[0]
            problems.append(Problem(file.stem, None, None, f"cannot read {file.name}: {reason}"))
            continue
        raw[file.stem] = _as_strings(frame)
    if not raw and not problems:
        raise UsageError(f"'{folder}' holds no CSV tables")
    return raw, problems


def _load_workbook(file: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    try:
        sheets = pd.read_excel(file, sheet_name=None, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {}, [Problem(file.name, None, None, f"cannot read workbook: {reason}")]
    return {str(name).strip(): _as_strings(frame) for name, frame in sheets.items()}, []


def instance_from_tables(raw: dict[str, pd.DataFrame], name: str = "instance") -> Instance:
    """Validate raw string tables and build the typed, immutable Instance."""
    problems = v.check_table_names(raw)
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        if table not in raw:
            rows[table] = []
            continue
        column_problems = v.check_columns(table, raw[table])
        problems += column_problems
        if any(p.row is None and p.message.startswith("required") for p in column_problems):
            rows[table] = []
            continue
        rows[table], cell_problems = v.parse_rows(table, raw[table])
        problems += cell_problems

    settings, setting_problems = v.check_settings(rows["settings"])
    problems += setting_problems
    problems += _check_cross_references(rows)
    if problems:
        raise InvalidInstanceError(problems)

    frames = {t: _frame(t, rows[t]) for t in TABLES if t != "settings"}
    return Instance(
        settings=Settings(**settings),
        organizations=frames["organizations"],
        categories=frames["categories"],
        demand=frames["demand"],
        suppliers=frames["suppliers"],
        offers=frames["offers"],
        tiers=frames["tiers"],
        surcharges=frames["surcharges"],
        collaboration=frames["collaboration"] if "collaboration" in raw else None,
        name=name,
    )


def _check_cross_references(rows: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    orgs = {r["org_id"] for r in rows["organizations"]}
    cats = {r["category_id"] for r in rows["categories"]}
    sups = {r["supplier_id"] for r in rows["suppliers"]}
    offers = {(r["supplier_id"], r["category_id"]) for r in rows["offers"]}
    problems = v.check_unique("organizations", rows["organizations"], ("org_id",))
    problems += v.check_unique("categories", rows["categories"], ("category_id",))
    problems += v.check_unique("suppliers", rows["suppliers"], ("supplier_id",))
    problems += v.check_unique("demand", rows["demand"], ("org_id", "category_id"))
    problems += v.check_unique("offers", rows["offers"], ("supplier_id", "category_id"))
    problems += v.check_unique(
        "surcharges", rows["surcharges"], ("org_id", "supplier_id", "category_id")
    )
    problems += v.check_member_limits(rows["categories"])
    problems += v.check_known("demand", rows["demand"], "org_id", orgs, "organization")
    problems += v.check_known("demand", rows["demand"], "category_id", cats, "category")
    problems += v.check_known("offers", rows["offers"], "supplier_id", sups, "supplier")
    problems += v.check_known("offers", rows["offers"], "category_id", cats, "category")
    problems += v.check_known_offer("tiers", rows["tiers"], offers)
    problems += v.check_known("surcharges", rows["surcharges"], "org_id", orgs, "organization")
    problems += v.check_known_offer("surcharges", rows["surcharges"], offers)
    problems += v.check_known("collaboration", rows["collaboration"], "org_a", orgs, "organization")
    problems += v.check_known("collaboration", rows["collaboration"], "org_b", orgs, "organization")
    problems += v.check_collaboration(rows["collaboration"])
    problems += v.check_tiers(rows["tiers"], rows["offers"])
    return problems


def _frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = list(TABLES[table].column_names)
    frame = pd.DataFrame(rows, columns=columns)
    if table == "categories":
        frame["max_members"] = frame["max_members"].astype("Int64")
    return frame
