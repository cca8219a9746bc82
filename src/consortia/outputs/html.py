"""One self-contained HTML page about a plan (``consortia report``).

Every number is derived again from the instance and the plan's decisions by the
spec's rules; status, bound and gap come from the plan's summary.json. The page
has inline SVG charts and CSS only — no scripts, nothing fetched when viewed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from pathlib import Path

import networkx as nx

from consortia.data.instance import Instance
from consortia.data.reader import read_instance
from consortia.errors import UsageError
from consortia.folders import check_output_file, mark_text, write_output_file
from consortia.outputs import svg
from consortia.outputs.plan_files import read_plan
from consortia.outputs.terminal import period_label
from consortia.rules.plan import LotOutcome, assess_plan, target_period, timeline

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;
max-width:1100px}h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;
padding:.6rem 1rem;min-width:10rem}.card b{display:block;font-size:1.3rem}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .5rem}
td.n{text-align:right}.row{display:flex;gap:2rem;flex-wrap:wrap}.muted{color:#777}
"""


def load_plan(plan_dir: Path, instance: Path | None) -> tuple[Instance, list, dict]:
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{plan_dir} has no summary.json: is it a plan folder?") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{plan_dir}/summary.json cannot be read: {exc}") from None
    source = instance or (Path(summary["instance_path"]) if summary.get("instance_path") else None)
    if source is None:
        raise UsageError("the plan does not say where its instance is: pass --instance")
    inst = read_instance(source)
    if summary.get("instance_sha256") not in (None, inst.sha256):
        raise UsageError(f"the instance at {source} is not the one this plan was solved for")
    decided = read_plan(plan_dir)
    assessment = assess_plan(inst, [lot for _, lot in decided])
    if not assessment.feasible:
        raise UsageError("the plan breaks the rules: " + "; ".join(assessment.violations))
    outcome = {o.lot: o for o in assessment.outcomes}
    lots = [(lid, outcome[lot]) for lid, lot in decided]
    return inst, lots, summary


def build_report(inst: Instance, lots: list[tuple[str, LotOutcome]], summary: dict) -> str:
    outcomes = [o for _, o in lots]
    horizon = inst.settings.horizon
    cur = inst.settings.currency
    rows = timeline(inst, outcomes)
    objective = sum(o.net for o in outcomes)
    target = inst.settings.savings_target
    reached = target_period(inst, outcomes)
    labels = [
        period_label(inst.settings.period_start, p).split("(")[-1].rstrip(")")
        for p in range(1, horizon + 1)
    ]
    bound = summary.get("best_bound")
    gap = summary.get("gap")

    cards = [
        ("Net savings", f"{objective:,.2f} {escape(cur)}"),
        ("Status", escape(str(summary.get("status", "unknown")))),
        ("Best bound", "—" if bound is None else f"{bound:,.2f}"),
        ("Gap", "—" if gap is None else f"{gap:.2%}"),
        ("Lots", str(len(lots))),
        (
            "Target reached",
            "no target"
            if target is None
            else (
                "never"
                if reached is None
                else escape(period_label(inst.settings.period_start, reached))
            ),
        ),
    ]
    html = [
        "<!DOCTYPE html><!-- " + mark_text("report") + " -->",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>consortia plan — {escape(inst.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Buying consortia plan: {escape(inst.name)}</h1>",
        f"<p class='muted'>Horizon {horizon} periods; every figure below is recomputed from "
        "the instance and the plan's decisions.</p><div class='cards'>",
    ]
    html += [
        f"<div class='card'>{k}<b id='{k.lower().replace(' ', '-')}'>{v}</b></div>"
        for k, v in cards
    ]
    html.append("</div>")

    html.append(
        "<h2>Savings ramp</h2><p>Cumulative savings per period (undiscounted)"
        + (" against the target." if target else ".")
        + "</p>"
    )
    html.append(
        svg.line_chart(
            {"cumulative savings": [r["cumulative_savings"] for r in rows]}, labels, target
        )
    )

    html.append(
        "<h2>Formation and live periods</h2><p>Orange: forming; grey: waiting for "
        "the supplier; blue: live.</p>"
    )
    html.append(
        svg.gantt(
            [
                (
                    f"{lid} {o.lot.category_id}/{o.lot.supplier_id} ({len(o.lot.members)})",
                    o.lot.start,
                    o.lot.start + o.lead,
                    o.live,
                )
                for lid, o in lots
            ],
            horizon,
        )
    )

    by_category: dict[str, float] = defaultdict(float)
    by_sector: dict[str, float] = defaultdict(float)
    for o in outcomes:
        by_category[o.lot.category_id] += o.net
        periods = horizon - o.live + 1
        for org, saving in o.member_saving.items():
            by_sector[inst.sector[org] or "(none)"] += saving * periods
    html.append("<div class='row'><div><h2>Net savings by category</h2>")
    html.append(svg.bar_chart(sorted(by_category.items(), key=lambda kv: -kv[1])))
    html.append(
        "</div><div><h2>Savings by sector</h2><p class='muted'>Members' savings to the "
        "horizon, before one-off costs.</p>"
    )
    html.append(svg.bar_chart(sorted(by_sector.items(), key=lambda kv: -kv[1])))
    html.append("</div></div>")

    volume: dict[tuple[str, str], float] = defaultdict(float)
    for o in outcomes:
        volume[(o.lot.supplier_id, o.lot.category_id)] += o.volume
    html.append(
        "<h2>Supplier volume against capacity</h2><p>Per-period volume of each offer "
        "used; the red mark is its capacity.</p>"
    )
    html.append(
        svg.capacity_chart(
            [(f"{s}/{c}", v, inst.offer[(s, c)].capacity) for (s, c), v in sorted(volume.items())]
        )
    )

    html.append("<h2>Consortia on the collaboration graph</h2>")
    html.append(_network(inst, lots))

    html.append(
        "<h2>Lots</h2><table><tr><th>lot</th><th>category</th><th>supplier</th>"
        "<th>members</th><th>start</th><th>live</th><th>volume</th><th>unit price</th>"
        "<th>saving / period</th><th>net savings</th></tr>"
    )
    for lid, o in lots:
        html.append(
            f"<tr><td>{escape(lid)}</td><td>{escape(o.lot.category_id)}</td>"
            f"<td>{escape(o.lot.supplier_id)}</td><td>{escape(', '.join(o.lot.members))}</td>"
            f"<td class='n'>{o.lot.start}</td><td class='n'>{o.live}</td>"
            f"<td class='n'>{o.volume:,.1f}</td><td class='n'>{o.unit_price:,.2f}</td>"
            f"<td class='n'>{o.savings_per_period:,.2f}</td><td class='n'>{o.net:,.2f}</td></tr>"
        )
    html.append("</table></body></html>")
    return "\n".join(html)


def _network(inst: Instance, lots: list[tuple[str, LotOutcome]]) -> str:
    if inst.neighbours is None:
        return "<p class='muted'>No collaboration graph: any group may buy together.</p>"
    members = {org for _, o in lots for org in o.lot.members}
    nodes = set(members)
    for org in members:
        nodes |= set(inst.neighbours[org])
    if len(nodes) > 400:
        nodes = members
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from((a, b) for a, b in inst.edges or () if a in nodes and b in nodes)
    positions = nx.spring_layout(graph, seed=1)
    lot_edges = []
    colour: dict[str, int] = {}
    for k, (_, o) in enumerate(lots):
        inside = set(o.lot.members)
        lot_edges += [(a, b, k) for a, b in graph.edges() if a in inside and b in inside]
        for org in o.lot.members:
            colour.setdefault(org, k)
    return svg.network(
        {n: (float(x), float(y)) for n, (x, y) in positions.items()},
        list(graph.edges()),
        lot_edges,
        colour,
        labels=len(nodes) <= 60,
    )


def write_report(plan_dir: str | Path, out: str | Path, instance: str | Path | None = None) -> Path:
    plan_dir, out = Path(plan_dir), Path(out)
    if not plan_dir.is_dir():
        raise UsageError(f"no plan folder at '{plan_dir}'")
    inst, lots, summary = load_plan(plan_dir, Path(instance) if instance else None)
    check_output_file(out, "report")  # refuse before the work
    page = build_report(inst, lots, summary)
    return write_output_file(out, "report", lambda tmp: tmp.write_text(page, encoding="utf-8"))
