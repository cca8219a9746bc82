"""The report's pure helpers: nice ticks, money, quarter labels, UK financial years,
top-N lists, Gantt levels, breakdowns that add up, region links, shares, fitted labels."""

from __future__ import annotations

import itertools
import math
import re
import shutil
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import INSTANCES
from consortia import read_instance, solve, write_result
from consortia.cli import main
from consortia.errors import UsageError
from consortia.outputs import svg
from consortia.outputs.html import build_report, load_plan
from consortia.outputs.numbers import compact, money, nice_step, nice_ticks
from consortia.outputs.periods import (
    financial_year,
    financial_year_label,
    financial_years,
    group_sums,
    period_blocks,
    period_label,
    period_labels,
    quarter_of,
    report_years,
)
from consortia.outputs.report_views import (
    GANTT_MAX_ROWS,
    breakdown,
    gantt_rows,
    member_nets,
    names_of,
    read_shares,
    region_links,
    some_of,
    spend_view,
    top,
)
from consortia.rules.plan import Lot, LotOutcome

# ---------------------------------------------------------------------------
# numbers


def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5, 10))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 279_800, [0, 100_000, 200_000, 300_000]),
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 7, [0, 2, 4, 6, 8]),
        (-3, 17, [-5, 0, 5, 10, 15, 20]),
        (0, 0.3, [0, 0.1, 0.2, 0.3]),
        (0, 0, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 43.7e9, [0, 1e10, 2e10, 3e10, 4e10, 5e10]),
    ],
)
def test_nice_ticks_examples(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == expected


@given(
    st.floats(-1e12, 1e12, allow_nan=False),
    st.floats(0, 1e12, allow_nan=False),
    st.integers(2, 10),
)
def test_nice_ticks_cover_the_range_with_a_nice_step(low: float, width: float, count: int) -> None:
    width = max(width, 1e-6 * max(1.0, abs(low)))  # a range floats can tell apart
    high = low + width
    ticks = nice_ticks(low, high, count)
    step = ticks[1] - ticks[0]
    # the ends cover the range (to a billionth of a step: float noise is no tick)
    assert ticks[0] <= low + 1e-9 * step and ticks[-1] >= high - 1e-9 * step
    assert 2 <= len(ticks) <= count + 1
    steps = {
        round(b - a, 6 - int(math.floor(math.log10(b - a)))) for a, b in itertools.pairwise(ticks)
    }
    assert len(steps) == 1 and _is_nice(steps.pop())


def test_nice_step() -> None:
    assert nice_step(100, 5) == 20
    assert nice_step(101, 5) == 50
    assert nice_step(0, 5) == 1


def test_money_and_compact_figures() -> None:
    assert compact(0) == "0" and compact(940) == "940" and compact(12.345) == "12.3"
    assert compact(1_500) == "1.5k" and compact(760_030_415) == "760m"
    assert compact(1_234_567) == "1.23m" and compact(43.7e9) == "43.7bn"
    assert compact(999_999) == "1m" and compact(-2_500) == "−2.5k"
    assert money(189_343.666, "GBP", decimals=2) == "£189,343.67"
    assert money(1_250_000, "EUR", short=True) == "€1.25m"
    assert money(-1_234, "SEK") == "−1,234 SEK"


# ---------------------------------------------------------------------------
# periods


def test_quarter_labels() -> None:
    assert period_label("2027Q1", 1) == "2027Q1"
    assert period_label("2027Q1", 8) == "2028Q4"
    assert period_label("2026Q4", 2) == "2027Q1"
    assert period_labels("2027Q3", 3) == ["2027Q3", "2027Q4", "2028Q1"]
    assert quarter_of("2027Q1", 5) == (2028, 1)
    for start in (None, "", "2027", "2027-01", "2027Q5", "Q1 2027"):
        assert period_label(start, 3) == "3" and quarter_of(start, 3) is None


def test_uk_financial_years_run_april_to_march() -> None:
    assert financial_year(2028, 1) == 2027  # Jan-Mar 2028 is in FY2027-28
    assert financial_year(2027, 2) == 2027
    assert financial_year_label(2027) == "FY2027-28" and financial_year_label(2099) == "FY2099-00"
    years = financial_years("2027Q1", 8)
    assert years is not None
    assert [(y.label, y.first, y.last, y.complete) for y in years] == [
        ("FY2026-27", 1, 1, False),
        ("FY2027-28", 2, 5, True),
        ("FY2028-29", 6, 8, False),
    ]
    assert group_sums([1, 2, 3, 4, 5, 6, 7, 8], years) == [1, 14, 21]
    # FY2027-28 is exactly 2027Q2..2028Q1
    whole = financial_years("2027Q2", 4)
    assert whole is not None and [(y.label, y.complete) for y in whole] == [("FY2027-28", True)]
    assert financial_years("period 1", 8) is None


def test_numbered_periods_fall_back_to_blocks() -> None:
    blocks = period_blocks(45, most=20)
    assert len(blocks) <= 20 and blocks[0].label == "periods 1–3" and blocks[-1].last == 45
    assert [b.label for b in report_years(None, 3)] == ["period 1", "period 2", "period 3"]


def test_many_financial_years_are_merged_into_runs() -> None:
    years = report_years("2027Q1", 400, most=30)  # 100 years of quarters
    assert len(years) <= 30 and years[0].first == 1 and years[-1].last == 400
    assert years[1].label == "FY2030-31 to FY2033-34" and years[1].complete
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(years))


# ---------------------------------------------------------------------------
# lists


def test_top_n_and_the_rest() -> None:
    shown, more = top(range(100), 25, key=float)
    assert shown == list(range(99, 74, -1)) and more == 75
    shown, more = top([3, 1, 2], 25, key=float)
    assert shown == [3, 2, 1] and more == 0


def test_some_names_and_how_many_more() -> None:
    assert some_of(["a", "b"]) == "a, b"
    assert some_of(["a", "b", "c", "d"]) == "a, b, c, d"
    assert some_of([str(i) for i in range(40)]) == "0, 1, 2 and 37 more"


# ---------------------------------------------------------------------------
# views of a plan


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    plan = write_result(
        solve(read_instance(INSTANCES / "demo")), tmp_path_factory.mktemp("d") / "plan"
    )
    inst, lots, summary = load_plan(plan, None)
    return plan, inst, lots, summary


def _fake_lot(category: str, supplier: str, start: int, lead: int, live: int) -> LotOutcome:
    return LotOutcome(
        lot=Lot(category, supplier, (f"{category}{supplier}{start}",), start),
        volume=1.0,
        cost=1.0,
        lead=lead,
        live=live,
        member_price={},
        member_saving={},
        weight=1.0,
        one_off=0.0,
    )


def test_gantt_rows_group_by_lot_then_category_and_supplier_then_category(demo) -> None:
    _, inst, lots, _ = demo
    names = names_of(inst)
    level, rows = gantt_rows(lots, 8, names)
    assert level == "lot" and len(rows) == 3
    assert any(r.label.startswith("L002 Electricity · Central Energy Buying") for r in rows)
    # L002: forming 3..6, live 7..8
    l002 = next(r for r in rows if r.label.startswith("L002"))
    assert l002.forming == [0, 0, 1, 1, 1, 1, 0, 0] and l002.live == [0] * 6 + [1, 1]

    many = [
        (f"L{i:04d}", _fake_lot(f"c{i % 5}", f"s{i % 6}", 1 + i % 4, 2, 4 + i % 4))
        for i in range(2_000)
    ]
    level, rows = gantt_rows(many, 12, names)
    assert level == "category and supplier" and len(rows) == 30
    assert sum(r.lots for r in rows) == 2_000
    for p in range(12):  # every lot is in one state or not started, each period
        assert sum(r.forming[p] + r.waiting[p] + r.live[p] for r in rows) <= 2_000
    assert sum(r.live[11] for r in rows) == 2_000
    wide = [(f"L{i:04d}", _fake_lot(f"c{i % 9}", f"s{i % 50}", 1, 1, 2)) for i in range(2_000)]
    level, rows = gantt_rows(wide, 12, names)
    assert level == "category" and len(rows) == 9 <= GANTT_MAX_ROWS


def test_breakdowns_add_up_to_the_plan(demo) -> None:
    _, inst, lots, summary = demo
    outcomes = [o for _, o in lots]
    objective = sum(o.net for o in outcomes)
    for o in outcomes:
        assert math.isclose(sum(member_nets(inst, o).values()), o.net, rel_tol=1e-12)
    for by in ("category", "region", "sector"):
        rows = breakdown(inst, outcomes, by)
        assert math.isclose(sum(r.net for r in rows), objective, rel_tol=1e-12)
        assert math.isclose(
            sum(r.saving for r in rows), sum(o.savings_per_period for o in outcomes)
        )
        assert all(r.pooled_spend <= r.pooled_baseline <= r.baseline + 1e-9 for r in rows)
    by_category = {r.key: r for r in breakdown(inst, outcomes, "category")}
    assert by_category["energy"].lots == 2 and by_category["energy"].members == 6
    spend = spend_view(inst, outcomes)
    assert math.isclose(spend.horizon_savings, 279_800.0)  # the ramp's last value
    assert math.isclose(spend.horizon_baseline - spend.horizon_planned, 279_800.0 - spend.one_off)


def test_regions_linked_by_lots(demo) -> None:
    _, inst, lots, _ = demo
    nodes, links = region_links(inst, [o for _, o in lots])
    assert [(n.region, n.organizations, n.members) for n in nodes] == [
        ("south_east", 5, 5),
        ("london", 1, 1),
    ]
    # L002 pools Bexley (london) with four south-east bodies: five members linked
    assert links == {("london", "south_east"): 5}


def test_shares_are_read_and_checked_against_the_plan(demo, tmp_path: Path) -> None:
    plan, inst, lots, summary = demo
    out = tmp_path / "shares"
    done = CliRunner().invoke(
        main, ["share", str(INSTANCES / "demo"), str(plan), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    shares = read_shares(out, lots)
    assert shares.rules[0] == "equal_price" and "shapley" in shares.rules
    by_member = shares.by_member().set_index("org_id")
    assert by_member.loc["KCC", "lots"] == 2
    total = sum(o.net for _, o in lots)
    assert math.isclose(by_member["share_equal_price"].sum(), total, rel_tol=1e-9)
    page = build_report(inst, lots, summary, shares)
    assert "Members' shares" in page and "Kent County Council" in page

    other = tmp_path / "other.csv"
    text = (out / "shares.csv").read_text().replace("L002,KCC", "L002,XYZ")
    other.write_text(text)
    with pytest.raises(UsageError, match="not for this plan: XYZ"):
        read_shares(other, lots)
    with pytest.raises(UsageError, match="no shares"):
        read_shares(tmp_path / "nowhere", lots)


def test_report_command_takes_the_shares(demo, tmp_path: Path) -> None:
    plan, *_ = demo
    shares = tmp_path / "shares"
    CliRunner().invoke(main, ["share", str(INSTANCES / "demo"), str(plan), "--out", str(shares)])
    out = tmp_path / "r.html"
    done = CliRunner().invoke(
        main, ["report", str(plan), "--out", str(out), "--shares", str(shares)]
    )
    assert done.exit_code == 0, done.output
    assert "Members' shares" in out.read_text()
    bad = tmp_path / "bad"
    shutil.copytree(shares, bad)
    (bad / "shares.csv").write_text("lot_id,org_id\nL001,MBC\n")
    done = CliRunner().invoke(
        main, ["report", str(plan), "--out", str(tmp_path / "s.html"), "--shares", str(bad)]
    )
    assert done.exit_code == 2 and "not a `consortia share` file" in done.output


def test_report_uses_names_quarters_and_financial_years(demo) -> None:
    _, inst, lots, summary = demo
    page = build_report(inst, lots, summary)
    for text in (
        "Kent County Council",  # organizations by name
        "Central Energy Buying",  # suppliers by name
        "End-user devices",  # categories by name
        "FY2027-28",
        "2027Q2–2028Q1",
        "UK financial year",
        "@media print",
        "£189,343.67",
        "cumulative savings (GBP)",  # an axis title with the currency
    ):
        assert text in page, text
    assert "<script" not in page


# ---------------------------------------------------------------------------
# labels that fit


def test_long_labels_are_cut_and_keep_a_tooltip() -> None:
    name = "Professional services and consultancy frameworks for the whole public sector"
    assert svg.fit("energy", 100) == "energy"
    cut = svg.fit(name, 120)
    assert cut.endswith("…") and svg.text_width(cut) <= 120 and name.startswith(cut[:-1])
    text = svg.label(0, 0, name, 120)
    assert f"<title>{name}</title>" in text
    assert "<title>" not in svg.label(0, 0, "energy", 120)
    assert svg.text_width("WWW") > svg.text_width("iii")


def test_charts_keep_long_labels_inside() -> None:
    name = "A category with a name far longer than any chart's label column could hold"
    chart = svg.bar_chart([(name, 1_234_567.0), ("short", -2_000.0)], x_title="net savings")
    assert f"<title>{escape(name)}</title>" in chart
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([-\d.]+)"', chart)]
    assert all(w >= 0 for w in widths)
    assert 'viewBox="0 0 520 ' in chart


@pytest.mark.parametrize("name", ["capacity", "connectivity", "regions", "discounting"])
def test_report_of_small_instances_without_quarters_or_names(name: str) -> None:
    inst = read_instance(INSTANCES / "tiny" / name)
    result = solve(inst)
    lots = [(f"L{i + 1:03d}", o) for i, o in enumerate(result.outcomes)]
    for plan in (lots, []):  # the plan, and the empty plan
        page = build_report(inst, plan, {"status": "optimal", "best_bound": None})
        assert "UK financial year" not in page and "Savings by period" in page
        assert "none proven" in page and "<script" not in page
        assert ("No lots." in page) == (not plan)
