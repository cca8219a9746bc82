"""Fair sharing: hand-checked games, properties of the rules, the core, the CLI."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import read_instance, solve, write_result
from consortia.analysis.sharing import rules
from consortia.analysis.sharing.core import check_core
from consortia.analysis.sharing.game import LotGame
from consortia.analysis.sharing.statement import share_lot
from consortia.cli import main
from consortia.rules.plan import Lot, price_lot


@dataclass
class TableGame:
    """A game given by a table of coalition values (bit masks)."""

    values: dict[int, float]
    members: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n = max(self.values).bit_length()
        self.members = tuple(f"P{i + 1}" for i in range(n))

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def full(self) -> int:
        return (1 << self.n) - 1

    @property
    def grand_value(self) -> float:
        return self.values[self.full]

    def value(self, mask: int) -> float:
        return 0.0 if mask == 0 else self.values.get(mask, 0.0)


# P1 = bit 1, P2 = bit 2, P3 = bit 4
THREE = TableGame({1: 0, 2: 0, 4: 0, 3: 90, 5: 80, 6: 70, 7: 120})


def test_three_member_shapley_by_hand() -> None:
    # phi_1 = 90/6 + 80/6 + (120 - 70)/3 = 45; phi_2 = 40; phi_3 = 35
    assert rules.shapley_exact(THREE) == pytest.approx([45, 40, 35])


def test_three_member_nucleolus_is_the_single_core_point() -> None:
    # x1 + x2 >= 90, x1 + x3 >= 80, x2 + x3 >= 70 and x(N) = 120 leave one point.
    assert rules.nucleolus(THREE) == pytest.approx([50, 40, 30], abs=1e-6)


def test_shapley_can_leave_the_core_while_the_nucleolus_stays() -> None:
    shapley = check_core(THREE, rules.shapley_exact(THREE))
    assert not shapley.in_core and shapley.worst == ("P1", "P2")
    assert shapley.shortfall == pytest.approx(5)
    assert check_core(THREE, rules.nucleolus(THREE)).in_core


def test_symmetric_members_get_equal_shares() -> None:
    game = TableGame({1: 1, 2: 1, 4: 1, 3: 5, 5: 5, 6: 5, 7: 12})
    assert rules.shapley_exact(game) == pytest.approx([4, 4, 4])
    assert rules.nucleolus(game) == pytest.approx([4, 4, 4], abs=1e-6)


def test_dummy_member_gets_its_own_value() -> None:
    # P3 adds exactly v({P3}) = 7 to every coalition.
    base = {1: 2, 2: 3, 3: 20}
    values = dict(base)
    values.update({4: 7, 5: base[1] + 7, 6: base[2] + 7, 7: base[3] + 7})
    game = TableGame(values)
    assert rules.shapley_exact(game)[2] == pytest.approx(7)
    assert rules.nucleolus(game)[2] == pytest.approx(7, abs=1e-6)


def _demo_lots():
    inst = read_instance(INSTANCES / "demo")
    return inst, solve(inst).outcomes


@pytest.mark.parametrize("rule", ["equal_price", "volume", "spend", "shapley", "nucleolus"])
def test_every_rule_is_efficient(rule: str) -> None:
    inst, outcomes = _demo_lots()
    for i, out in enumerate(outcomes):
        shares = share_lot(f"L{i}", inst, out, (rule,)).shares[rule]
        assert sum(shares) == pytest.approx(out.net, rel=1e-9)


def _write(folder: Path, table: str, text: str) -> None:
    (folder / f"{table}.csv").write_text(text.strip() + "\n")


def test_equal_price_split_outside_the_core(tmp_path: Path) -> None:
    # A alone: live in 2, 100 a period for 3 periods = 300. With B the lead
    # grows by a period: 120 a period for 2 periods = 240, of which the equal
    # unit price gives A only 200 < 300.
    folder = tmp_path / "inst"
    folder.mkdir()
    _write(folder, "settings", "key,value\nhorizon,4")
    _write(folder, "organizations", "org_id\nA\nB")
    _write(folder, "categories", "category_id,base_lead,member_lead\nict,1,1")
    _write(
        folder, "demand", "org_id,category_id,quantity,baseline_price\nA,ict,100,10\nB,ict,20,10"
    )
    _write(folder, "suppliers", "supplier_id\nS")
    _write(folder, "offers", "supplier_id,category_id\nS,ict")
    _write(
        folder, "tiers", "supplier_id,category_id,min_quantity,unit_price\nS,ict,0,10\nS,ict,100,9"
    )
    inst = read_instance(folder)
    outcome, problems = price_lot(inst, Lot("ict", "S", ("A", "B"), 1))
    assert not problems and outcome.net == pytest.approx(240)
    lot = share_lot("L1", inst, outcome, ("equal_price", "shapley"))
    assert lot.shares["equal_price"] == pytest.approx([200, 40])
    check = lot.core["equal_price"]
    assert not check.in_core and check.worst == ("A",) and check.shortfall == pytest.approx(100)
    assert LotGame(inst, outcome).value(1) == pytest.approx(300)


def test_sampled_shapley_agrees_with_exact_within_its_error() -> None:
    from consortia.data.generator import GeneratorOptions, generate_instance
    from consortia.data.reader import instance_from_tables
    from consortia.formulations.candidates import build_candidates
    from consortia.formulations.greedy import greedy_plan

    inst = instance_from_tables(generate_instance(GeneratorOptions(60, 3, 6, 12, seed=4)))
    biggest = max(greedy_plan(build_candidates(inst)), key=lambda o: len(o.lot.members))
    lot = biggest.lot
    outcome, _ = price_lot(inst, Lot(lot.category_id, lot.supplier_id, lot.members[:9], lot.start))
    game = LotGame(inst, outcome)
    assert game.n == 9
    exact = rules.shapley_exact(game)
    sampled, error = rules.shapley_sampled(game, samples=3000, seed=1)
    scale = max(1.0, abs(game.grand_value))
    for e, s, se in zip(exact, sampled, error, strict=True):
        assert abs(e - s) <= 4 * se + 1e-9 * scale


def test_share_command_on_the_demo(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    write_result(solve(read_instance(INSTANCES / "demo")), plan)
    result = CliRunner().invoke(
        main, ["share", str(INSTANCES / "demo"), str(plan), "--out", str(tmp_path / "shares")]
    )
    assert result.exit_code == 0, result.output
    assert "Biggest gap between rules" in result.output
    table = pd.read_csv(tmp_path / "shares" / "shares.csv")
    assert set(table["org_id"]) == {"KCC", "MBC", "KAT", "EKH", "KFR", "LBB"}
    for _, lot in table.groupby("lot_id"):
        for rule in ("equal_price", "volume", "spend", "shapley", "nucleolus"):
            assert lot[f"share_{rule}"].sum() == pytest.approx(lot["lot_value"].iloc[0])
    assert (table["in_core_nucleolus"] == "yes").all()


def test_share_command_rejects_a_missing_plan(tmp_path: Path) -> None:
    shutil.copytree(INSTANCES / "demo", tmp_path / "demo")
    result = CliRunner().invoke(
        main,
        ["share", str(tmp_path / "demo"), str(tmp_path / "none"), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2 and "no plan folder" in result.output
