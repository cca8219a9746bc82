"""Read the decisions of a written plan back from its files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from consortia.errors import UsageError
from consortia.rules.plan import Lot
from consortia.solvers.result import LOT_COLUMNS, MEMBER_COLUMNS


def decisions(lots: pd.DataFrame, members: pd.DataFrame) -> tuple[list[tuple[str, Lot]], list[str]]:
    """(lot_id, Lot) for every lot of lots.csv, and the mismatches between the files."""
    by_lot = {str(k): list(g["org_id"]) for k, g in members.groupby("lot_id", sort=False)}
    out: list[tuple[str, Lot]] = []
    problems: list[str] = []
    for row in lots.itertuples(index=False):
        lid = str(row.lot_id)
        if lid not in by_lot:
            problems.append(f"lot {lid} has no members in lot_members.csv")
            continue
        lot = Lot(
            str(row.category_id), str(row.supplier_id), tuple(by_lot[lid]), int(row.formation_start)
        )
        out.append((lid, lot))
    known = {lid for lid, _ in out}
    problems += [
        f"lot_members.csv names lot {lid}, which lots.csv lacks"
        for lid in sorted(set(by_lot) - known - set(lots["lot_id"].astype(str)))
    ]
    return out, problems


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """A plan table with its required columns, or a UsageError saying what is wrong."""
    try:
        frame = pd.read_csv(path, dtype={"lot_id": str, "org_id": str})
    except FileNotFoundError:
        raise UsageError(f"{path} is missing") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"{path} lacks column(s) {', '.join(missing)}")
    return frame


def read_plan(folder: str | Path) -> list[tuple[str, Lot]]:
    """The lots of a plan folder; a UsageError if the files are missing or disagree."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"no plan folder at '{folder}'")
    lots = read_table(folder / "lots.csv", LOT_COLUMNS)
    members = read_table(folder / "lot_members.csv", MEMBER_COLUMNS)
    out, problems = decisions(lots, members)
    if problems:
        raise UsageError("; ".join(problems))
    return out
