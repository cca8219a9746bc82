"""Per-member statements of a plan's lots under every allocation rule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from consortia.analysis.sharing import rules as r
from consortia.analysis.sharing.core import CoreCheck, check_core
from consortia.analysis.sharing.game import LotGame
from consortia.data.instance import Instance
from consortia.rules.plan import LotOutcome


@dataclass
class LotShares:
    lot_id: str
    game: LotGame
    shares: dict[str, list[float]]
    core: dict[str, CoreCheck]
    shapley_error: list[float] | None = None
    notes: list[str] = field(default_factory=list)


def share_lot(
    lot_id: str, inst: Instance, outcome: LotOutcome, rules: tuple[str, ...]
) -> LotShares:
    game = LotGame(inst, outcome)
    shares: dict[str, list[float]] = {}
    error = None
    notes = []
    for rule in rules:
        if rule == "equal_price":
            shares[rule] = r.equal_price(game)
        elif rule == "volume":
            shares[rule] = r.by_volume(game)
        elif rule == "spend":
            shares[rule] = r.by_spend(game)
        elif rule == "shapley":
            if game.n <= r.EXACT_SHAPLEY:
                shares[rule] = r.shapley_exact(game)
            else:
                shares[rule], error = r.shapley_sampled(game)
                notes.append(f"Shapley value sampled ({game.n} members)")
        elif rule == "nucleolus":
            if game.n <= r.EXACT_NUCLEOLUS:
                shares[rule] = r.nucleolus(game)
            else:
                notes.append(f"nucleolus not computed: {game.n} members > {r.EXACT_NUCLEOLUS}")
    core = {rule: check_core(game, x) for rule, x in shares.items()}
    if game.n > 15:
        notes.append("core check not certified: only single members and all-but-one checked")
    return LotShares(lot_id, game, shares, core, error, notes)


def statement_table(lots: list[LotShares], rules: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for lot in lots:
        g = lot.game
        for i, org in enumerate(g.members):
            row: dict[str, object] = {
                "lot_id": lot.lot_id,
                "org_id": org,
                "lot_value": g.grand_value,
                "stand_alone": g.value(1 << i),
            }
            for rule in rules:
                x = lot.shares.get(rule)
                row[f"share_{rule}"] = x[i] if x is not None else math.nan
            if "shapley" in rules:
                row["shapley_std_error"] = lot.shapley_error[i] if lot.shapley_error else 0.0
            for rule in rules:
                check = lot.core.get(rule)
                row[f"in_core_{rule}"] = (
                    ""
                    if check is None
                    else ("yes" if check.in_core else "no")
                    + ("" if check.certified else " (not certified)")
                )
            rows.append(row)
    return pd.DataFrame(rows)
