"""The HTML report from 20 to 44,000 organizations, opened in headless Chromium.

Each instance comes from the generator of ``consortia generate`` (20 and 2,000
organizations through the command and ``read_instance``; 44,000 in memory, by
``generate_instance`` and ``instance_from_tables``, the same tables validated the
same way without a 15 s round trip through CSV). Its plan is the by-hand one
(``regional_lots`` scheduled by ``schedule_lots``: no MILP, so the 44,000 case takes
seconds, not minutes). The page must stay small and short, every SVG label
must lie inside its chart without overlapping another, no table cell or heading
may overflow, the page may not be wider than the window, and it must print.
Layout is measured in the browser: a copy of the page gets a small script that
marks what is cut off (the report itself has no scripts).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import BASE_FLAGS, CHROMIUM, NO_BROWSER
from click.testing import CliRunner

from consortia import read_instance
from consortia.cli import main
from consortia.data.generator import GeneratorOptions, generate_instance
from consortia.data.instance import Instance
from consortia.data.reader import instance_from_tables
from consortia.formulations.greedy import schedule_lots
from consortia.formulations.regional import regional_lots
from consortia.outputs import html
from consortia.rules.plan import total_net
from consortia.solvers.result import Result

needs_browser = pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
FLAGS = [*BASE_FLAGS, "--hide-scrollbars"]
WINDOW = (1200, 900)

# organizations -> generator options (categories, suppliers, periods)
SIZES = {20: (3, 6, 12), 2_000: (9, 40, 12), 44_000: (9, 40, 20)}
IN_MEMORY_FROM = 10_000  # organizations; larger instances skip the CSV files
MAX_BYTES = 2_000_000  # the page at any size
MAX_HEIGHT = 16_000  # px at the window's width
MAX_PAGES = 24  # printed on A4

# Marks every SVG text outside its chart or overlapping another text of the same
# chart (the graph's node labels may overlap), and every cell, heading or card whose
# content is wider than its box; writes the findings and the page size into the DOM.
CHECK = """
<script>
(function () {
  const bad = [];
  const inside = (r, box) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5
    && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const chart of document.querySelectorAll('svg')) {
    const box = chart.getBoundingClientRect();
    const texts = [...chart.querySelectorAll('text')].filter(t => t.textContent.trim());
    const rects = texts.map(t => t.getBoundingClientRect());
    texts.forEach((t, i) => {
      if (!inside(rects[i], box)) {
        t.setAttribute('data-clipped', 'outside');
        bad.push('outside its chart: ' + t.textContent);
      }
    });
    if (chart.classList.contains('network')) continue;
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        if (meet(rects[i], rects[j])) {
          texts[i].setAttribute('data-clipped', 'overlap');
          bad.push('overlap: ' + texts[i].textContent + ' / ' + texts[j].textContent);
        }
      }
    }
  }
  for (const el of document.querySelectorAll('td, th, h1, h2, h3, p, .card')) {
    if (el.scrollWidth > el.clientWidth + 1) {
      el.setAttribute('data-clipped', 'overflow');
      bad.push('overflows its box: ' + el.textContent.slice(0, 80));
    }
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    bad.push('page wider than the window: ' + page.scrollWidth);
  }
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.setAttribute('data-height', page.scrollHeight);
  out.setAttribute('data-clipped', bad.length);
  out.textContent = JSON.stringify(bad.slice(0, 40));
  document.body.appendChild(out);
})();
</script>
"""


@dataclass
class Layout:
    height: int
    problems: list[str]


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def measure(page: Path, work: Path) -> Layout:
    """Open a copy of the page with the check script; what it found."""
    probe = work / f"{page.stem}-probe.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8"
    )
    run = _chromium(
        [f"--window-size={WINDOW[0]},{WINDOW[1]}", "--dump-dom", probe.as_uri()], work / "profile"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(
        r'<pre id="layout-check" data-height="(\d+)" data-clipped="(\d+)">(.*?)</pre>',
        run.stdout,
        re.S,
    )
    assert found, "the check script did not run: " + run.stderr[-2000:]
    problems = json.loads(
        found.group(3).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )
    assert len(problems) == min(40, int(found.group(2)))
    return Layout(int(found.group(1)), problems)


def printed_pages(page: Path, work: Path) -> int:
    pdf = work / f"{page.stem}.pdf"
    run = _chromium(
        ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], work / "profile"
    )
    assert pdf.exists(), run.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


# ---------------------------------------------------------------------------
# instances and plans


def generate(out: Path, orgs: int) -> Path:
    categories, suppliers, periods = SIZES[orgs]
    args = ["generate", str(out), "--orgs", str(orgs), "--categories", str(categories)]
    args += ["--suppliers", str(suppliers), "--periods", str(periods), "--seed", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def by_hand_plan(inst: Instance, folder: Path) -> Path:
    """The by-hand plan as the plan files the report reads (lots.csv, lot_members.csv,
    summary.json), without a solve."""
    outcomes = schedule_lots(inst, regional_lots(inst))
    result = Result(inst, "feasible", total_net(outcomes), math.inf, outcomes, "by hand")
    folder.mkdir(parents=True)
    result.lots_table().to_csv(folder / "lots.csv", index=False)
    result.members_table().to_csv(folder / "lot_members.csv", index=False)
    summary = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in result.summary().items()
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


@dataclass
class Case:
    orgs: int
    page: Path
    work: Path
    lots: int
    members: int
    seconds: float


_CASES: dict[int, Case] = {}


def case(orgs: int, tmp: Path) -> Case:
    """The report of the by-hand plan of a generated instance (built once a session)."""
    if orgs in _CASES:
        return _CASES[orgs]
    started = time.perf_counter()
    work = tmp / f"o{orgs}"
    work.mkdir()
    if orgs > IN_MEMORY_FROM:
        categories, suppliers, periods = SIZES[orgs]
        options = GeneratorOptions(orgs, categories, suppliers, periods, seed=1)
        inst = instance_from_tables(generate_instance(options), name=f"generated {orgs}")
    else:
        source = generate(work / "instance", orgs)
        inst = read_instance(source)
    plan = by_hand_plan(inst, work / "plan")
    page = work / "report.html"
    if orgs <= 20:  # the whole command line: share, then report with the shares
        shares = work / "shares"
        done = CliRunner().invoke(main, ["share", str(source), str(plan), "--out", str(shares)])
        assert done.exit_code == 0, done.output
        args = ["report", str(plan), "--out", str(page), "--shares", str(shares)]
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 0, done.output
        lots = html.plan_lots(inst, plan)
    else:  # the same page, without reading the instance a second time
        lots = html.plan_lots(inst, plan)
        page.write_text(html.build_report(inst, lots, html.read_summary(plan)), encoding="utf-8")
    members = len({m for _, o in lots for m in o.lot.members})
    made = Case(orgs, page, work, len(lots), members, time.perf_counter() - started)
    _CASES[orgs] = made
    return made


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scale")


# ---------------------------------------------------------------------------


@pytest.mark.parametrize("orgs", sorted(SIZES))
def test_report_size_does_not_grow_with_the_instance(orgs: int, scratch: Path) -> None:
    made = case(orgs, scratch)
    text = made.page.read_text(encoding="utf-8")
    assert made.lots > 0
    assert made.page.stat().st_size < MAX_BYTES
    assert "<script" not in text
    assert text.count("<tr>") < 400  # tables list the best rows, not every lot or member
    for section in ("Spend against the baseline", "UK financial year", "By category", "By region"):
        assert section in text
    if orgs == 20:
        assert "Members' shares" in text and "collaboration graph" in text
        assert 'class="chart network"' in text  # few members: the graph itself
    else:
        assert 'class="chart regions"' in text  # many: the regions instead
        assert f"and {made.lots - 25:,} more lots in lots.csv" in text
        assert "One row per category" in text  # not one Gantt row per lot


@needs_browser
@pytest.mark.parametrize("orgs", sorted(SIZES))
def test_report_lays_out_in_a_browser(orgs: int, scratch: Path) -> None:
    made = case(orgs, scratch)
    layout = measure(made.page, made.work)
    assert layout.problems == []
    assert 1_000 < layout.height < MAX_HEIGHT
    pages = printed_pages(made.page, made.work)
    assert 1 <= pages <= MAX_PAGES


@needs_browser
def test_the_check_finds_a_cut_label(tmp_path: Path) -> None:
    """The layout check is not vacuous: a label beyond its chart and an overflowing
    cell are both found."""
    page = tmp_path / "bad.html"
    page.write_text(
        "<html><body><svg width='100' height='40' viewBox='0 0 100 40'>"
        "<text x='60' y='20' font-size='11'>a label far too long for this chart</text></svg>"
        "<table><tr><td style='width:40px;max-width:40px;white-space:nowrap;overflow:hidden'>"
        "a cell whose text is far wider than forty pixels</td></tr></table></body></html>",
        encoding="utf-8",
    )
    layout = measure(page, tmp_path)
    assert any(p.startswith("outside its chart") for p in layout.problems)
    assert any(p.startswith("overflows its box") for p in layout.problems)


@needs_browser
def test_long_names_are_cut_with_a_tooltip_not_clipped(demo_copy: Path, tmp_path: Path) -> None:
    """Category, supplier and organization names of 100 characters and more."""
    long = "Professional services, consultancy and interim staffing for the wider public sector"
    categories = demo_copy / "categories.csv"
    categories.write_text(categories.read_text().replace("Electricity", f'"{long}"'))
    suppliers = demo_copy / "suppliers.csv"
    suppliers.write_text(
        suppliers.read_text().replace("Central Energy Buying", "Central Energy Buying " * 5)
    )
    orgs = demo_copy / "organizations.csv"
    orgs.write_text(orgs.read_text().replace("Kent County Council", "Kent County Council " * 6))
    inst = read_instance(demo_copy)
    plan = by_hand_plan(inst, tmp_path / "plan")
    page = tmp_path / "long.html"
    done = CliRunner().invoke(main, ["report", str(plan), "--out", str(page)])
    assert done.exit_code == 0, done.output
    text = page.read_text(encoding="utf-8")
    assert f"<title>{long}</title>" in text  # a chart label cut, its full text kept
    layout = measure(page, tmp_path)
    assert layout.problems == []
