"""One self-contained HTML page about a plan (``consortia report``).

Every number is derived again from the instance and the plan's decisions by the
spec's rules; status, bound and gap come from the plan's summary.json. The page
has inline SVG charts and CSS only — no scripts, nothing fetched when viewed —
and prints on A4.

The page stays readable and small from five organizations to forty-four
thousand: breakdowns by category, region and sector instead of one line per
member, the best lots (the rest are in lots.csv), a Gantt chart by lot, by
category and supplier or by category (whichever fits), and the collaboration
graph itself only for small plans (otherwise the regions and the lots linking
them). The views are computed in ``report_views``; this module lays them out.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

import networkx as nx
import pandas as pd

from consortia.data.instance import Instance
from consortia.data.reader import read_instance
from consortia.errors import UsageError
from consortia.folders import check_output_file, mark_text, write_output_file
from consortia.outputs import svg
from consortia.outputs.numbers import money, percent, ratio
from consortia.outputs.periods import (
    financial_years,
    group_sums,
    is_quarterly,
    period_label,
    period_labels,
    quarter_of,
    report_years,
)
from consortia.outputs.plan_files import read_plan
from consortia.outputs.report_views import (
    NO_VALUE,
    GroupRow,
    Names,
    SharesView,
    breakdown,
    gantt_rows,
    names_of,
    read_shares,
    region_links,
    some_of,
    spend_view,
    top,
)
from consortia.rules.plan import LotOutcome, assess_plan, target_period, timeline
from consortia.solvers.result import NO_PLAN_STATUSES
from consortia.solvers.variants import Item, rule_items

TOP_LOTS = 25  # lots listed by name; the rest are in lots.csv
TOP_ROWS = 25  # rows of a breakdown table
TOP_OFFERS = 25  # offers in the capacity chart
NETWORK_MAX_MEMBERS = 40  # beyond this, the regions stand in for the graph
NETWORK_MAX_NODES = 60  # members and their neighbours drawn at most

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:2rem auto;padding:0 1.5rem;color:#222;max-width:1100px;line-height:1.35}
h1{margin-bottom:.2rem;overflow-wrap:anywhere}h2{margin-top:2rem;border-bottom:1px solid #ddd}
h3{margin:1.2rem 0 .4rem}
.cards{display:flex;gap:.8rem;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .9rem;min-width:9.5rem;max-width:100%}
.card b{display:block;font-size:1.25rem;overflow-wrap:anywhere}
table{border-collapse:collapse;font-size:.82rem;margin:.4rem 0;max-width:100%}
td,th{border:1px solid #ddd;padding:.22rem .45rem;vertical-align:top;overflow-wrap:break-word}
td.id{white-space:nowrap}
th{background:#f6f6f6;text-align:left}td.n,th.n{text-align:right}td.n{white-space:nowrap}
tr.total td{font-weight:600;background:#fafafa}
.row{display:flex;gap:2rem;flex-wrap:wrap}.row>div{flex:1 1 480px;min-width:0}
.muted{color:#666}.note{color:#666;font-size:.85rem}
svg{max-width:100%;height:auto;display:block;margin:.4rem 0}
svg text{font-family:inherit}
.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.9rem;height:.7rem;margin-right:.3rem;vertical-align:baseline}
@media print{
@page{size:A4;margin:12mm}
body{margin:0;padding:0;max-width:none;font-size:9.5pt}
h2{break-after:avoid;margin-top:1.2rem}h3{break-after:avoid}
svg,.card,tr{break-inside:avoid}
.row{display:block}
.card{padding:.3rem .6rem}
table{font-size:8pt}
}
"""


# ---------------------------------------------------------------------------
# reading a plan


def read_summary(plan_dir: Path) -> dict:
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{plan_dir} has no summary.json: is it a plan folder?") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{plan_dir}/summary.json cannot be read: {exc}") from None
    if not isinstance(summary, dict):
        raise UsageError(f"{plan_dir}/summary.json is not a plan summary")
    return summary


def plan_lots(inst: Instance, plan_dir: Path) -> list[tuple[str, LotOutcome]]:
    """The plan's lots priced again by the rules; a UsageError if it breaks them."""
    decided = read_plan(plan_dir)
    assessment = assess_plan(inst, [lot for _, lot in decided])
    if not assessment.feasible:
        shown = assessment.violations[:5]
        more = len(assessment.violations) - len(shown)
        raise UsageError(
            "the plan breaks the rules: "
            + "; ".join(shown)
            + (f"; and {more:,} more" if more > 0 else "")
        )
    outcome = {o.lot: o for o in assessment.outcomes}
    return [(lid, outcome[lot]) for lid, lot in decided]


def load_plan(
    plan_dir: Path, instance: Path | None
) -> tuple[Instance, list[tuple[str, LotOutcome]], dict]:
    summary = read_summary(plan_dir)
    if summary.get("status") in NO_PLAN_STATUSES:
        raise UsageError(
            f"'{plan_dir}' holds no plan: its solve ended '{summary['status']}' (spec section 13)"
        )
    source = instance or (Path(summary["instance_path"]) if summary.get("instance_path") else None)
    if source is None:
        raise UsageError("the plan does not say where its instance is: pass --instance")
    inst = read_instance(source)
    if summary.get("instance_sha256") not in (None, inst.sha256):
        raise UsageError(f"the instance at {source} is not the one this plan was solved for")
    return inst, plan_lots(inst, plan_dir), summary


# ---------------------------------------------------------------------------
# small HTML helpers


def _cell(text: str, numeric: bool = False, title: str | None = None) -> str:
    attrs = (" class='n'" if numeric else "") + (
        f" title='{escape(title, quote=True)}'" if title else ""
    )
    return f"<td{attrs}>{text}</td>"


def _table(
    headers: Sequence[tuple[str, bool]], rows: Sequence[str], cls: str = "", total: str = ""
) -> str:
    head = "".join(f"<th{' class=n' if n else ''}>{escape(h)}</th>" for h, n in headers)
    attrs = f" class='{cls}'" if cls else ""
    return f"<table{attrs}><tr>{head}</tr>{''.join(rows)}{total}</table>"


def _more(n: int, what: str, where: str) -> str:
    return f"<p class='note'>… and {n:,} more {what} in {where}.</p>" if n else ""


class _Page:
    """The report's figures in one place: names, currency, period words."""

    def __init__(self, inst: Instance, lots: list[tuple[str, LotOutcome]], summary: dict):
        self.inst = inst
        self.lots = lots
        self.outcomes = [o for _, o in lots]
        self.summary = summary
        self.names: Names = names_of(inst)
        self.cur = inst.settings.currency
        self.start = inst.settings.period_start
        self.horizon = inst.settings.horizon
        self.quarterly = is_quarterly(self.start)
        self.period_word = "quarter" if self.quarterly else "period"
        self.labels = period_labels(self.start, self.horizon)
        self.spend = spend_view(inst, self.outcomes)

    def m(self, value: float, decimals: int = 0) -> str:
        return escape(money(value, self.cur, decimals=decimals))

    def short(self, value: float) -> str:
        return money(value, self.cur, short=True)

    def when(self, period: int) -> str:
        """'2027Q3' for quarters, else 'period 3'."""
        return period_label(self.start, period) if self.quarterly else f"period {period}"


# ---------------------------------------------------------------------------
# the page


@dataclass(frozen=True)
class Binding:
    """What leaving one rule or lock out does (``consortia report --binding``):
    `gain` is the net savings of the best plan found without it minus the plan's
    (≥ 0: the plan keeps the rules without it), `most` its proven bound minus the
    plan's (inf: no bound). It binds when `gain` > 0 (a better plan exists without
    it); it does not when `most` ≤ 0 (none can exist); otherwise it is undecided."""

    gain: float
    most: float

    @property
    def verdict(self) -> str:
        tol = 1e-9 * max(1.0, abs(self.gain), abs(self.most) if math.isfinite(self.most) else 1.0)
        if self.gain > tol:
            return "binds"
        if self.most <= tol:
            return "does not bind"
        return "undecided"


# The binding test of ``consortia report --binding``: each item in force -> Binding.
BindingTest = Callable[[Instance, list[LotOutcome]], Mapping[Item, Binding]]
RULE_ROWS = 100  # rules and locks listed; the rest are counted


def build_report(
    inst: Instance,
    lots: list[tuple[str, LotOutcome]],
    summary: dict,
    shares: SharesView | None = None,
    frontier: FrontierView | None = None,
    binding: Mapping[Item, Binding] | None = None,
) -> str:
    """The page. `binding` holds the verdicts of ``--binding`` (None: not tested)."""
    page = _Page(inst, lots, summary)
    html = [
        "<!DOCTYPE html><!-- " + mark_text("report") + " -->",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>consortia plan — {escape(inst.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Buying consortia plan: {escape(inst.name)}</h1>",
        f"<p class='muted'>{len(inst.org_ids):,} organizations, {len(inst.category):,} "
        f"categories, {len(inst.suppliers):,} suppliers; horizon {page.horizon} "
        f"{page.period_word}s"
        + (f" from {escape(page.labels[0])}" if page.quarterly else "")
        + ". Every figure below is recomputed from the instance and the plan's decisions.</p>",
    ]
    if frontier is not None:
        html.append(_frontier(page, frontier))
    for section in (
        _cards,
        _spend,
        _ramp,
        _years,
        _breakdowns,
        _gantt,
        _top_lots,
        _capacity,
        _collaboration,
    ):
        html.append(section(page))
    html.append(_rules_in_force(page, binding))
    if shares is not None:
        html.append(_shares(page, shares))
    html.append("</body></html>")
    return "\n".join(html)


def _cards(page: _Page) -> str:
    inst, summary = page.inst, page.summary
    objective = math.fsum(o.net for o in page.outcomes)
    target = inst.settings.savings_target
    reached = target_period(inst, page.outcomes)
    bound, gap = summary.get("best_bound"), summary.get("gap")
    spend = page.spend
    members = {org for o in page.outcomes for org in o.lot.members}
    cards = [
        ("Net savings", page.m(objective, 2)),
        ("Status", escape(str(summary.get("status", "unknown")))),
        (
            "Best bound",
            "none proven"
            if bound is None or not math.isfinite(float(bound))
            else page.m(float(bound), 2),
        ),
        ("Gap", "—" if gap is None or not math.isfinite(float(gap)) else f"{float(gap):.2%}"),
        ("Lots", f"{len(page.lots):,}"),
        ("Members", f"{len(members):,} of {len(inst.org_ids):,}"),
        ("Spend saved", percent(spend.saved_share, 2)),
        (
            "Target reached",
            "no target"
            if target is None
            else ("never" if reached is None else escape(period_label(page.start, reached))),
        ),
    ]
    items = "".join(
        f"<div class='card'>{k}<b id='{k.lower().replace(' ', '-')}'>{v}</b></div>"
        for k, v in cards
    )
    rate = inst.settings.discount_rate
    note = (
        f"<p class='note'>Net savings are discounted at {rate:.2%} a {page.period_word} "
        "(their net present value) and net of one-off costs; savings per period and over "
        "time are undiscounted.</p>"
        if rate > 0
        else ""
    )
    return f"<section><div class='cards'>{items}</div>{note}</section>"


def _spend(page: _Page) -> str:
    spend = page.spend
    full = spend.savings[-1] if spend.savings else 0.0
    saved = spend.horizon_baseline - spend.horizon_planned
    word = page.period_word
    rows = [
        "<tr><td>Baseline: every organization buys alone at its own prices</td>"
        f"{_cell(page.m(spend.baseline), True)}{_cell(page.m(spend.horizon_baseline), True)}</tr>",
        "<tr><td>Planned: the lots' prices once live, one-off costs included</td>"
        f"{_cell(page.m(spend.baseline - full), True)}"
        f"{_cell(page.m(spend.horizon_planned), True)}</tr>",
        "<tr><td>of which one-off costs (suppliers' fixed costs, coordination)</td>"
        f"{_cell('—', True)}{_cell(page.m(spend.one_off), True)}</tr>",
        "<tr class='total'><td>Saved</td>"
        f"{_cell(f'{page.m(full)} ({percent(ratio(full, spend.baseline), 2)})', True)}"
        f"{_cell(f'{page.m(saved)} ({percent(spend.saved_share, 2)})', True)}</tr>",
    ]
    return (
        "<section><h2>Spend against the baseline</h2>"
        + _table(
            [
                ("", False),
                (f"per {word} once every lot is live", True),
                (f"over the {page.horizon} {word}s", True),
            ],
            rows,
        )
        + "<p class='note'>Over the horizon the savings are undiscounted; the net savings "
        f"above ({page.m(spend.net)}) discount them by the instance's rate.</p></section>"
    )


def _ramp(page: _Page) -> str:
    rows = timeline(page.inst, page.outcomes)
    target = page.inst.settings.savings_target
    chart = svg.line_chart(
        {"cumulative savings": [r["cumulative_savings"] for r in rows]},
        page.labels,
        target,
        y_title=f"cumulative savings ({page.cur})",
        x_title=page.period_word,
        money=page.short,
    )
    return (
        "<section><h2>Savings ramp</h2><p>Cumulative savings per "
        f"{page.period_word} (undiscounted)"
        + (" against the target." if target else ".")
        + "</p>"
        + chart
        + "</section>"
    )


def _years(page: _Page) -> str:
    spend = page.spend
    groups = report_years(page.start, page.horizon)
    fy = financial_years(page.start, page.horizon) is not None
    savings = group_sums(spend.savings, groups)
    running = 0.0
    rows = []
    for g, saved in zip(groups, savings, strict=True):
        running += saved
        n = len(g.periods)
        baseline = spend.baseline * n
        span = (
            page.when(g.first) if g.first == g.last else f"{page.when(g.first)}–{page.when(g.last)}"
        )
        if fy and not g.complete:
            span += f" ({n} of 4 quarters)" if n < 4 else f" ({n} quarters)"
        rows.append(
            f"<tr><td>{escape(g.label)}</td><td>{escape(span)}</td>"
            f"{_cell(page.m(baseline), True)}{_cell(page.m(baseline - saved), True)}"
            f"{_cell(page.m(saved), True)}{_cell(percent(ratio(saved, baseline), 2), True)}"
            f"{_cell(page.m(running), True)}</tr>"
        )
    title = (
        "Savings by UK financial year (April to March)"
        if fy
        else f"Savings by {page.period_word}" + (" block" if len(groups) < page.horizon else "")
    )
    chart = svg.bar_chart(
        [(g.label, s) for g, s in zip(groups, savings, strict=True)],
        x_title=f"savings ({page.cur}, undiscounted)",
        money=page.short,
        width=520,
    )
    table = _table(
        [
            ("year" if fy else "periods", False),
            ("quarters" if fy else page.period_word + "s", False),
            ("baseline spend", True),
            ("planned spend", True),
            ("savings", True),
            ("% saved", True),
            ("cumulative savings", True),
        ],
        rows,
    )
    note = "Spend before one-off costs; savings undiscounted." + (
        " A year cut by the horizon is marked with the quarters it covers." if fy else ""
    )
    return f"<section><h2>{title}</h2><p class='note'>{note}</p>" + table + chart + "</section>"


def _breakdowns(page: _Page) -> str:
    out = ["<section><h2>Savings by category, region and sector</h2>"]
    out.append(
        f"<p class='note'>Spend per {page.period_word} once every lot is live. Net savings "
        "over the horizon, discounted, after one-off costs: each member carries its "
        "coordination cost and a share of the supplier's fixed cost by volume, so every "
        "table adds up to the plan's net savings.</p>"
    )
    inst = page.inst
    for by, title in (
        ("category", "By category"),
        ("region", "By region"),
        ("sector", "By sector"),
    ):
        rows = breakdown(inst, page.outcomes, by)
        label: Callable[[str], str] = page.names.category if by == "category" else str
        shown, more = top(rows, TOP_ROWS, key=lambda r: r.net)
        chart_rows, _ = top(rows, 15, key=lambda r: r.net)
        body = [_group_row(page, r, label(r.key)) for r in shown]
        total = _group_total(page, rows)
        table = _table(
            [
                (by, False),
                ("organizations", True),
                ("in lots", True),
                ("lots", True),
                (f"baseline spend / {page.period_word}", True),
                (f"pooled spend / {page.period_word}", True),
                (f"saving / {page.period_word}", True),
                ("% saved", True),
                ("net savings", True),
            ],
            body,
            total=total,
        )
        chart = svg.bar_chart(
            [(label(r.key), r.net) for r in chart_rows if r.members],
            x_title=f"net savings ({page.cur})",
            money=page.short,
            width=760,
            label_room=240,
        )
        rest = (
            f"<p class='note'>… and {more:,} more {'categories' if by == 'category' else by + 's'}"
            " (in the totals).</p>"
            if more
            else ""
        )
        out.append(f"<h3 id='by-{by}'>{title}</h3>{table}{rest}")
        out.append(chart if any(r.members for r in rows) else "")
    out.append("</section>")
    return "".join(out)


def _group_row(page: _Page, r: GroupRow, name: str) -> str:
    return (
        f"<tr><td>{escape(name)}</td>{_cell(f'{r.organizations:,}', True)}"
        f"{_cell(f'{r.members:,}', True)}{_cell(f'{r.lots:,}', True)}"
        f"{_cell(page.m(r.baseline), True)}{_cell(page.m(r.pooled_spend), True)}"
        f"{_cell(page.m(r.saving), True)}{_cell(percent(r.saved_share), True)}"
        f"{_cell(page.m(r.net), True)}</tr>"
    )


def _group_total(page: _Page, rows: list[GroupRow]) -> str:
    total = GroupRow("total", "total")
    for r in rows:
        total.baseline += r.baseline
        total.pooled_baseline += r.pooled_baseline
        total.pooled_spend += r.pooled_spend
        total.net += r.net
    inst = page.inst
    buying = inst.demand["org_id"].nunique()
    members = len({org for o in page.outcomes for org in o.lot.members})
    return (
        f"<tr class='total'><td>all</td>{_cell(f'{buying:,}', True)}{_cell(f'{members:,}', True)}"
        f"{_cell(f'{len(page.lots):,}', True)}{_cell(page.m(total.baseline), True)}"
        f"{_cell(page.m(total.pooled_spend), True)}{_cell(page.m(total.saving), True)}"
        f"{_cell(percent(total.saved_share), True)}{_cell(page.m(total.net), True)}</tr>"
    )


def _gantt(page: _Page) -> str:
    level, rows = gantt_rows(page.lots, page.horizon, page.names)
    year_starts = [
        p for p in range(2, page.horizon + 1) if (quarter_of(page.start, p) or (0, 0))[1] == 1
    ]
    what = {
        "lot": "One row per lot.",
        "category and supplier": f"One row per category and supplier ({len(page.lots):,} lots): "
        "the bars stack the share of the row's lots forming, waiting and live.",
        "category": f"One row per category ({len(page.lots):,} lots): the bars stack the share "
        "of the category's lots forming, waiting and live.",
    }[level]
    legend = (
        "<p class='legend'>"
        f"<span><i style='background:{svg.FORMING}'></i>forming</span>"
        f"<span><i style='background:{svg.WAITING}'></i>waiting for the supplier</span>"
        f"<span><i style='background:{svg.LIVE}'></i>live</span></p>"
    )
    if not rows:
        return "<section><h2>Formation and live periods</h2><p>No lots.</p></section>"
    return (
        f"<section><h2>Formation and live periods</h2><p>{escape(what)}</p>{legend}"
        + svg.gantt(rows, page.labels, x_title=page.period_word, year_starts=year_starts)
        + "</section>"
    )


def _top_lots(page: _Page) -> str:
    shown, more = top(page.lots, TOP_LOTS, key=lambda item: item[1].net)
    names = page.names
    rows = []
    for lid, o in shown:
        members = [names.org(m) for m in o.lot.members]
        title = ", ".join(members[:50]) + (
            f" and {len(members) - 50:,} more" if len(members) > 50 else ""
        )
        start, live = escape(page.when(o.lot.start)), escape(page.when(o.live))
        rows.append(
            f"<tr><td class='id'>{escape(lid)}</td>"
            f"<td>{escape(names.category(o.lot.category_id))}<br>"
            f"<span class='muted'>{escape(names.supplier(o.lot.supplier_id))}</span></td>"
            + _cell(f"{len(members):,}", True)
            + _cell(escape(some_of(members, 3)), title=title if len(members) > 4 else None)
            + _cell(f"{start}<br>{live}", True)
            + _cell(page.m(o.unit_price, 2), True)
            + _cell(page.m(o.savings_per_period), True)
            + _cell(page.m(o.net), True)
            + "</tr>"
        )
    heading = "Lots" if not more else f"The {len(shown)} best lots by net savings"
    return (
        f"<section><h2>{heading}</h2>"
        + _table(
            [
                ("lot", False),
                ("category and supplier", False),
                ("members", True),
                ("who", False),
                ("start and live", True),
                ("unit price", True),
                (f"saving / {page.period_word}", True),
                ("net savings", True),
            ],
            rows,
        )
        + (_more(more, "lots", "lots.csv") if more else "" if rows else "<p>No lots.</p>")
        + "</section>"
    )


def _capacity(page: _Page) -> str:
    volume: dict[tuple[str, str], float] = defaultdict(float)
    for o in page.outcomes:
        volume[(o.lot.supplier_id, o.lot.category_id)] += o.volume
    offer = page.inst.offer

    def fullest(item: tuple[tuple[str, str], float]) -> float:
        """Capacity used (0..1) first, then the volume of unlimited offers."""
        (s, c), v = item
        cap = offer[(s, c)].capacity
        return 2.0 + v / cap if math.isfinite(cap) else 1.0 - 1.0 / (1.0 + v)

    shown, more = top(volume.items(), TOP_OFFERS, key=fullest)
    names = page.names
    items = [
        (f"{names.supplier(s)} · {names.category(c)}", v, offer[(s, c)].capacity)
        for (s, c), v in shown
    ]
    return (
        "<section><h2>Supplier volume against capacity</h2><p>Volume per "
        f"{page.period_word} of each offer used as a share of its capacity, fullest first; "
        "offers without a capacity last, with their volume.</p>"
        + (svg.capacity_chart(items) if items else "<p>No offer is used.</p>")
        + _more(more, "offers", "lots.csv")
        + "</section>"
    )


def _rules_in_force(page: _Page, binding: Mapping[Item, Binding] | None) -> str:
    """The locks and supplier and formation rules in force (spec sections 10-12) and,
    when tested, which bind; nothing for an instance without any."""
    items = rule_items(page.inst)
    if not items:
        return ""
    shown = items[:RULE_ROWS]
    rows = [
        "<tr>"
        + _cell(escape(str(item)))
        + _cell(escape(item.asks))
        + _cell(_binding_words(page, None if binding is None else binding.get(item)))
        + "</tr>"
        for item in shown
    ]
    if binding is None:
        how = (
            "Whether each binds is not tested here: <code>consortia report --binding</code> "
            "solves the instance once without each of them."
        )
    else:
        counts = [b.verdict for b in binding.values()]
        how = (
            f"Each was tested by solving the instance without it, from this plan: "
            f"{counts.count('binds')} bind (a better plan exists without it), "
            f"{counts.count('does not bind')} do not (no plan without it is better, "
            f"proven), {counts.count('undecided')} undecided within the time limit."
        )
    return (
        "<section><h2>Rules and locks in force</h2><p>The locks (by their row in the "
        "locks table) and the supplier and formation limits this plan keeps. A rule "
        f"<b>binds</b> when the best plan without it is better than this one. {how}</p>"
        + _table([("rule or lock", False), ("asks", False), ("binds?", False)], rows)
        + _more(len(items) - len(shown), "rules and locks", "the instance")
        + "</section>"
    )


def _binding_words(page: _Page, found: Binding | None) -> str:
    if found is None:
        return "<span class='muted'>not tested</span>"
    verdict = found.verdict
    if verdict == "binds":
        return f"<b>binds</b>: a plan without it saves {page.m(found.gain, 2)} more"
    if verdict == "does not bind":
        return "does not bind"
    most = "an unknown amount" if not math.isfinite(found.most) else page.m(found.most, 2)
    return f"undecided: without it a plan could save at most {most} more"


def _collaboration(page: _Page) -> str:
    inst = page.inst
    members = {org for o in page.outcomes for org in o.lot.members}
    out = ["<section><h2>Consortia on the collaboration graph</h2>"]
    if inst.neighbours is None:
        out.append("<p class='muted'>No collaboration graph: any group may buy together.</p>")
    if inst.neighbours is not None and 0 < len(members) <= NETWORK_MAX_MEMBERS:
        out.append(_network(inst, page.lots, page.names))
    elif members:
        out.append(_regions(page))
    out.append("</section>")
    return "".join(out)


def _network(inst: Instance, lots: list[tuple[str, LotOutcome]], names: Names) -> str:
    assert inst.neighbours is not None
    members = {org for _, o in lots for org in o.lot.members}
    nodes = set(members)
    for org in members:
        nodes |= set(inst.neighbours[org])
    if len(nodes) > NETWORK_MAX_NODES:
        nodes = members
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from((a, b) for a, b in inst.edges or () if a in nodes and b in nodes)
    positions = _layout(graph)
    lot_edges = []
    colour: dict[str, int] = {}
    for k, (_, o) in enumerate(lots):
        inside = set(o.lot.members)
        lot_edges += [(a, b, k) for a, b in graph.edges() if a in inside and b in inside]
        for org in o.lot.members:
            colour.setdefault(org, k)
    note = (
        "<p class='note'>Members in their lot's colour, other organizations white; "
        "thick edges join members of the same lot.</p>"
    )
    return note + svg.network(
        positions,
        list(graph.edges()),
        lot_edges,
        colour,
        names={n: names.org(n) for n in nodes},
        labels=len(nodes) <= NETWORK_MAX_NODES,
    )


def _layout(graph: nx.Graph, per_row: int = 6) -> dict[str, tuple[float, float]]:
    """Each connected part laid out on its own, side by side (widths by the square root
    of their sizes, at most `per_row` to a row), so that an isolated member does not
    push the rest into a corner."""
    parts = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    rows = [parts[i : i + per_row] for i in range(0, len(parts), per_row)]
    out: dict[str, tuple[float, float]] = {}
    for r, row in enumerate(rows):
        weights = [math.sqrt(len(c)) for c in row]
        left = 0.0
        for part, weight in zip(row, weights, strict=True):
            width = weight / sum(weights)
            sub = graph.subgraph(part)
            placed = nx.spring_layout(sub, seed=1) if len(part) > 1 else {next(iter(part)): (0, 0)}
            xs = [float(p[0]) for p in placed.values()]
            ys = [float(p[1]) for p in placed.values()]
            for node, (x, y) in placed.items():
                fx = 0.5 if max(xs) == min(xs) else (float(x) - min(xs)) / (max(xs) - min(xs))
                fy = 0.5 if max(ys) == min(ys) else (float(y) - min(ys)) / (max(ys) - min(ys))
                out[node] = (left + (0.1 + 0.8 * fx) * width, (r + 0.1 + 0.8 * fy) / len(rows))
            left += width
    return out


def _regions(page: _Page) -> str:
    nodes, links = region_links(page.inst, page.outcomes)
    members = sum(n.members for n in nodes)
    out = [
        f"<p>{members:,} members are too many to draw one by one: each region is a node "
        "(its area: members in lots), and a line joins two regions whose members share "
        "lots (its width: the members of either region in such lots).</p>"
    ]
    if len(nodes) <= 30:
        out.append(
            svg.region_network([(n.region, n.organizations, n.members) for n in nodes], links)
        )
    shown, more = top(nodes, TOP_ROWS, key=lambda n: n.members)
    linked: dict[str, int] = defaultdict(int)
    for (a, b), w in links.items():
        linked[a] += w
        linked[b] += w
    rows = [
        f"<tr><td>{escape(n.region)}</td>{_cell(f'{n.organizations:,}', True)}"
        f"{_cell(f'{n.members:,}', True)}{_cell(f'{n.lots:,}', True)}"
        f"{_cell(f'{linked.get(n.region, 0):,}', True)}</tr>"
        for n in shown
    ]
    out.append(
        _table(
            [
                ("region", False),
                ("organizations", True),
                ("in lots", True),
                ("lots", True),
                ("links to other regions", True),
            ],
            rows,
        )
    )
    out.append(_more(more, "regions", "the region breakdown above"))
    if NO_VALUE in {n.region for n in nodes}:
        out.append(f"<p class='note'>{NO_VALUE}: organizations without a region.</p>")
    return "".join(out)


def _shares(page: _Page, shares: SharesView) -> str:
    rules = shares.rules
    names, inst = page.names, page.inst
    out = [
        "<section><h2>Members' shares</h2>",
        f"<p>How each lot's net savings are split among its members by {len(rules)} rule(s), "
        f"from <code>{escape(str(shares.source))}</code> (<code>consortia share</code>).</p>",
    ]
    core = [
        f"{escape(rule.replace('_', ' '))}: {shares.outside_core(rule):,}"
        for rule in rules
        if f"in_core_{rule}" in shares.table.columns
    ]
    if core:
        out.append(
            "<p class='note'>Lots whose split is outside the core (some group of members would "
            "do better on its own) — " + "; ".join(core) + ".</p>"
        )
    headers = [(r.replace("_", " "), True) for r in rules]
    for by, key_of in (("sector", inst.sector), ("region", inst.region)):
        frame = shares.by(key_of)
        frame = frame.sort_values(f"share_{rules[0]}", ascending=False)
        rows = [
            f"<tr><td>{escape(str(row['key']))}</td>"
            + "".join(_cell(page.m(float(row[f"share_{r}"])), True) for r in rules)
            + "</tr>"
            for _, row in frame.head(TOP_ROWS).iterrows()
        ]
        out.append(f"<h3>By {by}</h3>" + _table([(by, False), *headers], rows))
        out.append(_more(max(0, len(frame) - TOP_ROWS), by + "s", "shares.csv"))
    members = shares.by_member().sort_values(f"share_{rules[0]}", ascending=False)
    rows = [
        f"<tr><td>{escape(names.org(str(row['org_id'])))}</td>"
        + _cell(f"{int(row['lots']):,}", True)
        + "".join(_cell(page.m(float(row[f"share_{r}"])), True) for r in rules)
        + "</tr>"
        for _, row in members.head(TOP_ROWS).iterrows()
    ]
    out.append(
        f"<h3>The members with the largest shares ({escape(rules[0].replace('_', ' '))})</h3>"
        + _table([("member", False), ("lots", True), *headers], rows)
    )
    out.append(_more(max(0, len(members) - TOP_ROWS), "members", "shares.csv"))
    out.append("</section>")
    return "".join(out)


def write_report(
    plan_dir: str | Path,
    out: str | Path,
    instance: str | Path | None = None,
    shares: str | Path | None = None,
    binding: BindingTest | None = None,
) -> Path:
    """Write the page of the plan at `plan_dir`; `binding` tests which rules and
    locks in force bind (``consortia report --binding``; a solve per item)."""
    plan_dir, out = Path(plan_dir), Path(out)
    if not plan_dir.is_dir():
        raise UsageError(f"no plan folder at '{plan_dir}'")
    plan_dir, instance, frontier = _target_folder(plan_dir, instance)
    inst, lots, summary = load_plan(plan_dir, Path(instance) if instance else None)
    shared = read_shares(shares, lots) if shares is not None else None
    check_output_file(out, "report")  # refuse before the work
    verdicts = None if binding is None else binding(inst, [o for _, o in lots])
    page = build_report(inst, lots, summary, shared, frontier, verdicts)
    return write_output_file(out, "report", lambda tmp: tmp.write_text(page, encoding="utf-8"))


# ---------------------------------------------------------------------------
# the frontier of `consortia target`


@dataclass(frozen=True)
class FrontierView:
    """A `consortia target` folder's frontier.csv and summary.json."""

    table: pd.DataFrame
    summary: dict


def _target_folder(
    folder: Path, instance: str | Path | None
) -> tuple[Path, str | Path | None, FrontierView | None]:
    """The plan folder, instance and frontier to report on: a `consortia target`
    folder (or the plan/ inside one) reports its proof's plan, on the truncated
    instance written beside it, with the frontier; any other folder is a plan."""
    if (folder / "plan").is_dir() and not (folder / "lots.csv").is_file():
        root, folder = folder, folder / "plan"  # a target folder
    elif (folder.parent / "frontier.csv").is_file():
        root = folder.parent  # the plan inside one
    elif (folder / "frontier.csv").is_file():
        raise UsageError(
            f"{folder} holds no plan: `consortia target` writes one only when a plan "
            "was found (see its summary.json)"
        )
    else:
        return folder, instance, None
    if instance is None and (root / "instance").is_dir():
        instance = root / "instance"
    if not (root / "frontier.csv").is_file():
        return folder, instance, None
    try:
        table = pd.read_csv(root / "frontier.csv")
    except (OSError, ValueError) as exc:
        raise UsageError(f"{root}/frontier.csv cannot be read: {exc}") from None
    return folder, instance, FrontierView(table, read_summary(root))


def _values(table: pd.DataFrame, column: str) -> list[float | None]:
    if column not in table.columns:
        raise UsageError(f"frontier.csv has no column '{column}'")
    return [None if pd.isna(v) else float(v) for v in table[column]]


def _frontier(page: _Page, frontier: FrontierView) -> str:
    summary, table = frontier.summary, frontier.table
    start = summary.get("period_start", page.start)
    labels = period_labels(start, len(table))
    target = summary.get("target")
    span = summary.get("earliest_period_range") or [1, None]
    lo, hi = int(span[0]), (None if span[1] is None else int(span[1]))
    chart = svg.frontier_chart(
        _values(table, "whitehall_cumulative"),
        _values(table, "bound_cumulative"),
        _values(table, "plan_cumulative"),
        None if target is None else float(target),
        (lo, hi),
        labels,
        y_title=f"cumulative savings ({page.cur})",
        x_title=page.period_word,
        money=page.short,
    )
    word = page.period_word

    def when(p: int) -> str:
        return period_label(start, p) if is_quarterly(start) else f"period {p}"

    status = summary.get("status")
    if status == "decided" and hi is not None:
        answer = f"The target is first reached in <b>{escape(when(hi))}</b>."
    elif status == "unreachable":
        answer = "The target is <b>not reachable</b> within the horizon."
    elif hi is None:
        answer = (
            f"The search did not finish: the target is reached in {escape(when(lo))} at "
            "the earliest, later, or never (no plan found reaches it)."
        )
    else:
        answer = (
            f"The search did not finish: the target is first reached between "
            f"{escape(when(lo))} and {escape(when(hi))} (shaded)."
        )
    whitehall = summary.get("whitehall") or {}
    proven = whitehall.get("status") == "optimal"
    sentence = summary.get("sentence")
    if sentence:  # the command's own sentence, with its figures
        answer = escape(str(sentence)) + (
            " The shaded quarters are still possible."
            if status == "open" and is_quarterly(start)
            else " The shaded periods are still possible."
            if status == "open"
            else ""
        )
    name = summary.get("instance")
    heading = f"{escape(str(name))}: when" if name else "When"
    text = (
        f"<p>{answer}</p>"
        f"<p>By the end of each {word}, three figures of cumulative savings (before "
        "one-off costs, undiscounted). The <b>Whitehall figure</b> (dashed) is what could "
        f"be saved if every body could join at once: no {word}s spent agreeing a "
        "specification, everyone and every supplier ready from the start, no limit on "
        "formations; it is the ceiling that time and the central team take away from. The "
        "<b>proven bound</b> (orange) is a mathematical guarantee: no plan that keeps the "
        f"rules can have saved more by that {word}. The <b>best plan</b> (blue) is a plan "
        f"found and checked against every rule. Where the two meet, the figure is exact; "
        "the target is reached in the first "
        f"{word} whose plan reaches the target line, and proven not to be reached earlier "
        "where the bound stays below it"
        + (
            "."
            if proven
            else "; the Whitehall figure shown is the best plan found for it, not proven optimal."
        )
        + "</p>"
        "<p class='note'>The plan in the rest of this report is the one that reaches the "
        "target first: its horizon ends in that "
        f"{word}, with one-off costs and discounting left out (they do not change when "
        "the target is reached).</p>"
    )
    return f"<section><h2>{heading} is the target reached?</h2>{text}{chart}</section>"
