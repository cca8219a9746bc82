"""Share a written plan (``consortia share``): statements and a summary."""

from __future__ import annotations

from pathlib import Path

from consortia.analysis.sharing.statement import LotShares, share_lot, statement_table
from consortia.data.instance import Instance
from consortia.errors import UsageError
from consortia.folders import output_dir
from consortia.outputs.plan_files import read_plan
from consortia.rules.plan import price_lot


def share_plan(inst: Instance, plan_dir: str | Path, rules: tuple[str, ...]) -> list[LotShares]:
    out = []
    for lot_id, lot in read_plan(plan_dir):
        outcome, problems = price_lot(inst, lot)
        if outcome is None or problems:
            raise UsageError(f"lot {lot_id} breaks the rules: {'; '.join(problems)}")
        out.append(share_lot(lot_id, inst, outcome, rules))
    return out


def write_shares(lots: list[LotShares], rules: tuple[str, ...], out_dir: str | Path) -> Path:
    with output_dir(out_dir, "share") as tmp:
        statement_table(lots, rules).to_csv(tmp / "shares.csv", index=False)
    return Path(out_dir)


def summary_lines(lots: list[LotShares], rules: tuple[str, ...]) -> list[str]:
    lines = [f"{len(lots)} lot(s) shared by {', '.join(rules)}."]
    if "equal_price" in rules:
        outside = [lot for lot in lots if not lot.core["equal_price"].in_core]
        if not outside:
            lines.append("Every equal-price split is in the core (no sub-group does better alone).")
        for lot in outside:
            check = lot.core["equal_price"]
            lines.append(
                f"Lot {lot.lot_id}: the equal-price split is outside the core — "
                f"{{{', '.join(check.worst)}}} would gain {check.shortfall:,.2f} on its own."
            )
    widest = None
    for lot in lots:
        for i, org in enumerate(lot.game.members):
            values = [x[i] for x in lot.shares.values()]
            if len(values) > 1:
                spread = max(values) - min(values)
                if widest is None or spread > widest[0]:
                    widest = (spread, lot.lot_id, org)
    if widest is not None:
        lines.append(
            f"Biggest gap between rules: {widest[2]} in lot {widest[1]} "
            f"({widest[0]:,.2f} between its lowest and highest share)."
        )
    for lot in lots:
        lines += [f"Lot {lot.lot_id}: {note}." for note in lot.notes]
    return lines
