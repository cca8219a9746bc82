"""Scenarios: every change kind, bad scenario files, parallel and Dask what-if runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import read_instance
from consortia.analysis.ledger import Ledger
from consortia.analysis.scenarios import Scenario, ScenarioError, apply_scenario, read_scenarios
from consortia.analysis.whatif import run_whatif
from consortia.cli import main
from consortia.solvers.options import SolveOptions

BASE = read_instance(INSTANCES / "demo")


def changed(*changes: dict) -> object:
    return apply_scenario(BASE, Scenario("s", tuple(changes)))


def test_setting() -> None:
    inst = changed(
        {"kind": "setting", "key": "max_parallel_formations", "value": 4},
        {"kind": "setting", "key": "savings_target", "value": 1000},
    )
    assert inst.settings.max_parallel_formations == 4 and inst.settings.savings_target == 1000


def test_scale_demand_by_sector_region_category() -> None:
    inst = changed({"kind": "scale_demand", "sector": "council", "category": "ict", "factor": 2})
    assert inst.demand_of[("KCC", "ict")][0] == 600 and inst.demand_of[("MBC", "ict")][0] == 120
    assert inst.demand_of[("KCC", "energy")][0] == 4000  # other category untouched
    assert inst.demand_of[("EKH", "ict")][0] == 200  # other sector untouched
    inst = changed({"kind": "scale_demand", "region": "london", "factor": 0.5})
    assert inst.demand_of[("LBB", "energy")][0] == 600


def test_offer_changes() -> None:
    inst = changed({"kind": "scale_capacity", "supplier": "KPW", "factor": 0.5})
    assert inst.offer[("KPW", "energy")].capacity == 3000
    inst = changed({"kind": "cap_capacity", "supplier": "CEB", "value": 5000})
    assert inst.offer[("CEB", "energy")].capacity == 5000
    inst = changed({"kind": "remove_offers", "supplier": "KPW"})
    assert ("KPW", "energy") not in inst.offer and len(inst.tiers) == 8
    inst = changed({"kind": "delay_supplier", "supplier": "DGF", "periods": 3})
    assert inst.offer[("DGF", "ict")].available_from == 5


def test_lead_times_readiness_and_prices() -> None:
    inst = changed({"kind": "scale_lead_times", "factor": 2, "category": "energy"})
    assert inst.category["energy"].base_lead == 4 and inst.category["energy"].member_lead == 1.0
    assert inst.category["ict"].base_lead == 3
    inst = changed({"kind": "shift_readiness", "org": ["KCC", "KFR"], "periods": 2})
    assert inst.ready["KCC"] == 3 and inst.ready["KFR"] == 5 and inst.ready["MBC"] == 1
    inst = changed({"kind": "tier_prices", "supplier": "DGF", "percent": -10})
    assert inst.offer[("DGF", "ict")].tiers[0] == (0.0, pytest.approx(760.5))
    assert inst.offer[("CEB", "energy")].tiers[0][1] == 155


@pytest.mark.parametrize(
    "change,message",
    [
        ({"kind": "scale_demand", "sector": "prison", "factor": 2}, "selects no demand"),
        ({"kind": "scale_capacity", "supplier": "NOPE", "factor": 2}, "selects no offer"),
        ({"kind": "teleport"}, "unknown kind"),
        ({"kind": "setting", "key": "colour", "value": 1}, "unknown setting 'colour'"),
        ({"kind": "setting", "key": "horizon", "value": -3}, "invalid instance"),
        ({"kind": "scale_demand", "factor": "lots"}, "'factor' must be a number"),
        ({"kind": "scale_demand", "factor": 2, "colour": "red"}, "unknown field(s) colour"),
        ({"kind": "delay_supplier", "periods": 1}, "'supplier' is missing"),
    ],
)
def test_bad_changes_name_the_scenario_and_change(change: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        apply_scenario(
            BASE, Scenario("broken", ({"kind": "setting", "key": "horizon", "value": 8}, change))
        )
    assert "scenario 'broken'" in str(err.value) and message in str(err.value)
    if "invalid instance" not in message:
        assert "change 2" in str(err.value)


@pytest.mark.parametrize(
    "text,message",
    [
        ("[[scenario]\nname = 'x'", "not valid TOML"),
        ("title = 'x'", "unknown top-level"),
        ("[[scenario]]\nchanges = []", "has no name"),
        ("[[scenario]]\nname = 'a'\n[[scenario]]\nname = 'a'", "used twice"),
        ("[[scenario]]\nname = 'a'\nchanges = 3", "must be a list"),
    ],
)
def test_bad_scenario_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        read_scenarios(path)


def test_demo_scenario_file_is_valid() -> None:
    scenarios = read_scenarios(INSTANCES / "demo" / "scenarios.toml")
    assert len(scenarios) >= 5
    kinds = {c["kind"] for s in scenarios for c in s.changes}
    assert kinds == {
        "setting",
        "scale_demand",
        "scale_capacity",
        "cap_capacity",
        "remove_offers",
        "delay_supplier",
        "scale_lead_times",
        "shift_readiness",
        "tier_prices",
    }
    for s in scenarios:
        apply_scenario(BASE, s)


def test_whatif_command_on_the_demo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ledger = tmp_path / "runs.sqlite"
    result = CliRunner().invoke(
        main,
        [
            "whatif",
            str(INSTANCES / "demo"),
            str(INSTANCES / "demo" / "scenarios.toml"),
            "--out",
            str(out),
            "--workers",
            "2",
            "--ledger",
            str(ledger),
            "--format",
            "xlsx",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert table["scenario"].iloc[0] == "base"
    assert table.loc[0, "net_savings"] == pytest.approx(189343.67)
    by_name = dict(zip(table["scenario"], table["net_savings"], strict=True))
    # four formations at once can only help; a capped supplier can only hurt
    assert by_name["twice the central team"] >= by_name["base"]
    assert by_name["energy supplier capped"] <= by_name["base"]
    assert {"savings_by_2027", "savings_by_2028", "largest_consortium"} <= set(table.columns)
    assert (out / "comparison.md").exists() and "<svg" in (out / "savings.svg").read_text()
    for folder in table["folder"]:
        assert (out / folder / "lots.csv").exists() and (out / folder / "plan.xlsx").exists()
    runs = Ledger(ledger).runs()
    assert len(runs) == len(table) and {r["scenario"] for r in runs} == set(table["scenario"])


def test_whatif_on_a_local_dask_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    scenarios = read_scenarios(INSTANCES / "demo" / "scenarios.toml")[:2]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        table = run_whatif(
            BASE, scenarios, tmp_path / "out", SolveOptions(), scheduler=cluster.scheduler_address
        )
    assert list(table["scenario"]) == ["base", scenarios[0].name, scenarios[1].name]
    serial = run_whatif(BASE, scenarios, tmp_path / "serial", SolveOptions(), workers=1)
    assert list(table["net_savings"]) == pytest.approx(list(serial["net_savings"]))


def test_whatif_refuses_bad_scenarios_before_solving(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text(
        "[[scenario]]\nname = 'x'\nchanges = [{ kind = 'remove_offers', supplier = 'NOPE' }]\n"
    )
    result = CliRunner().invoke(
        main, ["whatif", str(INSTANCES / "demo"), str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "scenario 'x', change 1" in result.output
    assert not (tmp_path / "o").exists()
