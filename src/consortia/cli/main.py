"""Command-line interface (spec section 8). It parses, calls the library and prints.

Exit codes: 0 success; 1 a plan failed its check, or an internal error; 2 bad
input or usage; 3 no plan keeps the rules, or none was found in time (spec
section 13: ``solve``, ``explain``, ``target``). Errors reach users as sentences;
--debug shows the traceback.

This module itself imports no solver, modelling or plotting library: each
command imports what it needs when it runs, and the options that list solver
strategies or sharing rules are made when their command is used, so that
``consortia --help`` and ``consortia validate`` start fast.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from consortia.errors import ConsortiaError, InvalidInstanceError

if TYPE_CHECKING:
    from consortia.data.instance import Instance
    from consortia.data.reader import Reading

# Seconds per solve of `consortia target` unless --time-limit says otherwise: with
# two workers the 16 quarters, the Whitehall figure and one longer second solve of
# a 200-organization instance take 6-8 minutes (benchmarks/RESULTS.md).
TARGET_SECONDS = 60.0


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into messages and exit codes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except InvalidInstanceError as exc:
            click.echo(f"Invalid instance: {exc}", err=True)
            sys.exit(2)
        except ConsortiaError as exc:
            click.echo(f"Error: {exc}", err=True)
            if debug:
                traceback.print_exc()
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Aborted: nothing was written.", err=True)
            sys.exit(130)
        except BrokenPipeError:  # output piped into a reader that stopped (e.g. head)
            sys.stderr.close()
            sys.exit(0)
        except Exception as exc:  # an internal error: say so, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            click.echo(
                f"Internal error ({type(exc).__name__}: {exc}). Run again with --debug "
                "for the traceback, and please report it.",
                err=True,
            )
            sys.exit(1)

    return wrapper


class _Deferred(click.Command):
    """A command with options that are made only when the command is used (parsed,
    helped or completed): `deferred` returns them, and they follow the others.
    Making them imports what they list, which `consortia --help` must not."""

    def __init__(
        self, *args: Any, deferred: Callable[[], list[click.Parameter]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: Callable[[], list[click.Parameter]] | None = deferred

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._deferred is not None:
            self.params.extend(self._deferred())
            self._deferred = None
        return super().get_params(ctx)


def _formulation_option() -> list[click.Parameter]:
    from consortia.solvers.registry import STRATEGIES, help_text

    return [
        click.Option(
            ["--formulation"],
            type=click.Choice(list(STRATEGIES)),
            default="auto",
            show_default=True,
            help=help_text(),
        )
    ]


def _formulations_option() -> list[click.Parameter]:
    from consortia.solvers.registry import STRATEGIES

    return [
        click.Option(
            ["--formulations"],
            default="auto",
            show_default=True,
            help=f"Comma-separated: {', '.join(STRATEGIES)}.",
        )
    ]


def _rule_option() -> list[click.Parameter]:
    from consortia.analysis.sharing.rules import RULES

    return [
        click.Option(
            ["--rule", "rules"],
            multiple=True,
            type=click.Choice(list(RULES)),
            help="Allocation rule (repeatable; default: all).",
        )
    ]


def _read(path: Path) -> Reading:
    """Read an instance and print its warnings on stderr."""
    from consortia.data.reader import read_with_warnings

    reading = read_with_warnings(path)
    for warning in reading.warnings:
        click.echo(f"Warning: {warning}", err=True)
    return reading


def _instance(path: Path) -> Instance:
    """The instance at `path`, its warnings printed on stderr."""
    return _read(path).instance


def _verify(result: Any, seconds: float) -> None:
    """Re-prove an optimal claim (``analysis/verify.py``); print and record the verdicts."""
    from consortia.analysis.verify import verify

    verdicts = verify(result, seconds)
    result.verification = [v.as_dict() for v in verdicts]
    for v in verdicts:
        line = f"Verify: {v.witness} {v.status}" + (f" ({v.note})" if v.note else "")
        click.echo(("Warning: " if v.status == "disagrees" else "") + line, err=True)


class ProgressPrinter:
    """Live progress on stderr once a command has run two seconds: one line per
    phase, named, rewritten in place at most every two seconds (a new phase starts
    a new line)."""

    def __init__(self, after: float = 2.0, every: float = 2.0) -> None:
        import time

        self.after, self.every = after, every
        self.clock = time.monotonic
        self.began = self.clock()
        self.shown = False
        self.stage: str | None = None
        self.last = 0.0  # elapsed of the stage's line last shown
        self.width = 0

    def __call__(self, p: Any) -> None:
        if max(p.elapsed, self.clock() - self.began) < self.after:
            return
        same = p.stage == self.stage and p.elapsed >= self.last
        if same and p.elapsed - self.last < self.every:
            return
        if self.shown and not same:
            click.echo("", err=True)  # the previous phase keeps its line
            self.width = 0
        parts = [f"{p.stage}: {p.elapsed:6.1f}s"]
        if p.incumbent is not None:
            parts.append(f"plan {p.incumbent:,.0f}")
        if p.bound is not None:
            parts.append(f"{getattr(p, 'bound_name', 'bound')} {p.bound:,.0f}")
        if p.incumbent is not None and p.bound is not None and p.bound > 0:
            parts.append(f"gap {max(0.0, p.bound - p.incumbent) / p.bound:.2%}")
        text = "  ".join(parts)
        click.echo(f"\r{text:<{self.width}}", nl=False, err=True)
        self.width = max(self.width, len(text))
        self.stage, self.last, self.shown = p.stage, p.elapsed, True

    def close(self) -> None:
        """End the line shown last (the printer may be used again after)."""
        if self.shown:
            click.echo("", err=True)
        self.shown, self.stage, self.width = False, None, 0


def _named(printer: ProgressPrinter, prefix: str) -> Callable[[Any], None]:
    """`printer` with every phase name prefixed (a second solve's phases)."""
    from dataclasses import replace

    return lambda p: printer(replace(p, stage=f"{prefix}, {p.stage}"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.version_option(package_name="consortia")
def main(debug: bool) -> None:
    """Plan buying consortia: who buys together, from which supplier, starting when."""


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@_friendly
def validate(instance: Path) -> None:
    """Check an instance (CSV folder or .xlsx workbook); list every problem."""
    reading = _read(instance)
    inst = reading.instance
    noted = f", {len(reading.warnings)} warning(s)" if reading.warnings else ""
    click.echo(
        f"{instance}: valid — {len(inst.organizations)} organizations, "
        f"{len(inst.categories)} categories, {len(inst.offers)} offers, "
        f"horizon {inst.settings.horizon}{noted}"
    )


@main.command(cls=_Deferred, deferred=_formulation_option)
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the plan files (replaced atomically).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop the search after this many seconds with the best plan found.",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0),
    default=1e-6,
    show_default=True,
    help="Relative optimality gap at which the search may stop (0 = proven optimum).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default="csv",
    show_default=True,
    help="xlsx also writes the plan as plan.xlsx.",
)
@click.option("--quiet", is_flag=True, help="No live progress.")
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Run ledger (default .consortia/runs.sqlite, or $CONSORTIA_LEDGER).",
)
@click.option(
    "--builder",
    type=click.Choice(["arrays", "pyomo"]),
    default="arrays",
    show_default=True,
    help="How the offer model is built: sparse arrays, or Pyomo (the readable "
    "reference; same model, slower). Other formulations are built with Pyomo.",
)
@click.option(
    "--memory-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="GiB the solve may hold (default: the machine's memory); a model estimated "
    "not to fit is skipped by auto, refused when asked for.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Re-prove an optimal claim independently (SCIP on the exported model when "
    "pyscipopt is installed, and another formulation), each within --time-limit "
    "(default 60 s); a disagreement is printed as a warning with both figures.",
)
@click.option(
    "--slot-value",
    is_flag=True,
    help="When the plan reaches the limit of formations at once, solve again with one "
    "more slot (from the plan, within the same --time-limit) and report about what it "
    "is worth: the difference of the two plans, not a proof.",
)
@_friendly
def solve(
    instance: Path,
    out_dir: Path,
    time_limit: float | None,
    gap: float,
    seed: int,
    fmt: str,
    quiet: bool,
    ledger_path: Path | None,
    formulation: str,
    builder: str,
    memory_limit: float | None,
    verify: bool,
    slot_value: bool,
) -> None:
    """Find the savings-maximising plan and write it to --out."""
    from consortia.analysis.ledger import Ledger
    from consortia.analysis.runs import checked_solve, record, solve_deadline, write_checked
    from consortia.cli.signals import stop_on_signals
    from consortia.folders import check_output_dir
    from consortia.outputs.terminal import LABEL, plan_table
    from consortia.outputs.writer import plan_coverage
    from consortia.solvers.clock import Deadline
    from consortia.solvers.options import SolveOptions

    clock = Deadline(time_limit)  # --time-limit counts from here: reading included
    # Ctrl-C from the start: during reading it makes the search stop at once
    with stop_on_signals(lambda text: click.echo(text, err=True)):
        inst = _instance(instance)
        check_output_dir(out_dir, "solve")  # refuse before solving, not after
        printer = None if quiet else ProgressPrinter()
        options = SolveOptions(
            time_limit, gap, seed, formulation, printer, builder, memory_limit=memory_limit
        )
        result = checked_solve(inst, options, deadline=solve_deadline(clock, len(inst.demand)))
        slot = covered = None
        if not result.has_plan:  # spec section 13: summary.json alone, nothing to check
            written = write_checked(result, out_dir)
        else:
            if verify:
                if printer is not None:
                    printer.close()
                _verify(result, time_limit or 60.0)
            if slot_value:
                from dataclasses import replace

                from consortia.analysis.slots import slot_value as value_of_slot

                again = None if printer is None else _named(printer, "one more slot")
                slot = value_of_slot(result, replace(options, progress=again))
            covered = plan_coverage(result)
            extra = None if slot is None else {"slot_value": slot.as_dict()}
            written = write_checked(
                result,
                out_dir,
                workbook=fmt == "xlsx",
                covered=covered,
                extra=extra,
                progress=printer,
            )
        if printer is not None:
            printer.close()
    spec = _solve_spec(instance, time_limit, gap, seed, formulation, fmt)
    run_id = record(Ledger(ledger_path), spec, result, written)
    if not result.has_plan:
        _exit_without_plan(
            result, f"summary.json written to {written}/ (run {run_id} in the ledger)"
        )
    click.echo(plan_table(result, covered))
    if slot is not None:
        click.echo(f"{'Slot value':<{LABEL}} {slot.line(inst.settings.currency)}")
    click.echo(
        f"Plan written to {written}/ (run {run_id} in the ledger); why each left-out "
        "pair is left out: uncovered.csv"
    )


def _solve_spec(
    instance: Path, time_limit: float | None, gap: float, seed: int, formulation: str, fmt: str
) -> Any:
    """How a solve was asked for, as the ledger records it."""
    from consortia.analysis.runs import RunSpec

    options = {
        "time_limit": time_limit,
        "gap": gap,
        "seed": seed,
        "formulation": formulation,
        "format": fmt,
    }
    return RunSpec("solve", str(instance), options)


def _without_plan_lines(result: Any) -> list[str]:
    """A result without a plan in words: the status and why, then the conflict."""
    if result.status == "infeasible":
        lines = [f"No feasible plan: {result.stop_reason}."]
    else:
        lines = [f"No plan: {result.stop_reason}; no conflict was proven in the time left."]
    if result.conflict:
        lines.append("Conflict (locks by their row in the locks table):")
        lines += [f"  - {line}" for line in result.conflict]
    return lines


def _exit_without_plan(result: Any, written: str) -> None:
    """Print a result without a plan and exit 3 (spec section 13)."""
    for line in _without_plan_lines(result):
        click.echo(line)
    click.echo(written)
    sys.exit(3)


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("plan_dir", type=click.Path(path_type=Path))
@_friendly
def check(instance: Path, plan_dir: Path) -> None:
    """Recompute a written plan from the rules; exit 1 listing every violation."""
    from consortia.errors import UsageError
    from consortia.outputs.checker import check_plan

    inst = _instance(instance)
    if not plan_dir.is_dir():
        raise UsageError(f"no plan folder at '{plan_dir}'")
    _refuse_without_plan(plan_dir)
    report = check_plan(inst, plan_dir)
    if report.ok:
        click.echo(f"Plan is feasible; net savings {report.objective:,.2f} match the rules.")
        return
    click.echo(f"Plan fails {len(report.violations)} check(s):")
    for v in report.violations:
        click.echo(f"  - {v}")
    sys.exit(1)


def _refuse_without_plan(plan_dir: Path) -> None:
    """A folder whose summary.json says its solve ended without a plan (spec section
    13) holds nothing to check or report: say so, with the conflict."""
    import json

    from consortia.errors import UsageError
    from consortia.solvers.result import NO_PLAN_STATUSES

    if (plan_dir / "lots.csv").exists():
        return
    try:
        summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    status = summary.get("status") if isinstance(summary, dict) else None
    if status in NO_PLAN_STATUSES:
        conflict = summary.get("conflict") or []
        why = f": {'; '.join(conflict)}" if conflict else ""
        raise UsageError(
            f"'{plan_dir}' holds no plan: its solve ended '{status}' (spec section 13){why}"
        )


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--orgs", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--categories", type=click.IntRange(min=1, max=9), default=3, show_default=True)
@click.option("--suppliers", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--periods", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--timing-limits/--no-timing-limits",
    default=True,
    help="Draw each pair's contract expiry (demand.ready_period) and each body's "
    "specialist staff (organizations.max_parallel_formations). Default: drawn; "
    "--no-timing-limits writes a version-1 instance without these two columns.",
)
@_friendly
def generate(
    out: Path,
    orgs: int,
    categories: int,
    suppliers: int,
    periods: int,
    seed: int,
    timing_limits: bool,
) -> None:
    """Write a synthetic instance calibrated to the UK public sector."""
    from consortia.data.generator import GeneratorOptions, generate_instance, write_instance_tables
    from consortia.folders import check_output_dir, check_output_file

    if out.suffix.lower() == ".xlsx":
        check_output_file(out, "generate")
    else:
        check_output_dir(out, "generate")
    options = GeneratorOptions(orgs, categories, suppliers, periods, seed, timing_limits)
    tables = generate_instance(options)
    write_instance_tables(tables, out)
    shown = out if out.suffix.lower() == ".xlsx" else f"{out}/"
    click.echo(f"Instance written to {shown} ({orgs} organizations, seed {seed})")


@main.command(cls=_Deferred, deferred=_rule_option)
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for shares.csv (replaced atomically).",
)
@_friendly
def share(instance: Path, plan_dir: Path, rules: tuple[str, ...], out_dir: Path) -> None:
    """Share each lot's savings among its members and test each split's stability."""
    from consortia.analysis.sharing.report import share_plan, summary_lines, write_shares
    from consortia.analysis.sharing.rules import RULES
    from consortia.folders import check_output_dir

    inst = _instance(instance)
    check_output_dir(out_dir, "share")
    chosen = rules or RULES
    lots = share_plan(inst, plan_dir, chosen)
    written = write_shares(lots, chosen, out_dir)
    for line in summary_lines(lots, chosen):
        click.echo(line)
    click.echo(f"Statements written to {written}/shares.csv")


@main.command(cls=_Deferred, deferred=_formulation_option)
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--org", required=True, help="The organization asked about (org_id).")
@click.option("--category", required=True, help="The category asked about (category_id).")
@click.option("--supplier", default=None, help="Ask about lots on this supplier's offer only.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds for the solve with the lock (reading included).",
)
@click.option("--gap", type=click.FloatRange(min=0), default=1e-6, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option("--quiet", is_flag=True, help="No live progress.")
@_friendly
def explain(
    instance: Path,
    plan_dir: Path,
    org: str,
    category: str,
    supplier: str | None,
    time_limit: float | None,
    gap: float,
    seed: int,
    quiet: bool,
    formulation: str,
) -> None:
    """Why is ORG not in a lot of CATEGORY in the plan (or why is it)? Solve with a
    lock that puts it in (or keeps it out) and say what that costs."""
    from consortia.analysis.explain import explain as why_not
    from consortia.analysis.runs import solve_deadline
    from consortia.cli.signals import stop_on_signals
    from consortia.outputs.terminal import plan_table
    from consortia.solvers.clock import Deadline
    from consortia.solvers.options import SolveOptions

    clock = Deadline(time_limit)
    with stop_on_signals(lambda text: click.echo(text, err=True)):
        inst = _instance(instance)
        printer = None if quiet else ProgressPrinter()
        options = SolveOptions(time_limit, gap, seed, formulation, printer)
        answer = why_not(
            inst,
            plan_dir,
            org,
            category,
            supplier,
            options,
            deadline=solve_deadline(clock, len(inst.demand)),
        )
        if printer is not None:
            printer.close()
    cur = inst.settings.currency
    result = answer.result
    bound = "none recorded" if answer.plan_bound is None else f"{answer.plan_bound:,.2f} {cur}"
    click.echo(answer.question)
    click.echo(f"The plan saves {answer.plan_objective:,.2f} {cur} (best bound {bound}).")
    click.echo(f"Solved again with the asked lock ({answer.lock.wording}):")
    if not result.has_plan:
        from dataclasses import replace

        for line in _without_plan_lines(replace(result, conflict=answer.conflict())):
            click.echo(line)
        sys.exit(3)
    click.echo(plan_table(result))
    click.echo(answer.sentence(cur))


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mps", "lp"]), required=True)
@_friendly
def export(instance: Path, out: Path, fmt: str) -> None:
    """Write the compact model as an MPS or LP file with readable names."""
    from consortia.formulations.export import export_model

    written = export_model(_instance(instance), out, fmt)
    click.echo(f"Model written to {written}")


@main.command()
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The HTML file.")
@click.option(
    "--instance",
    type=click.Path(path_type=Path),
    default=None,
    help="The plan's instance (default: the one recorded in summary.json).",
)
@click.option("--shares", type=click.Path(path_type=Path), help="A `consortia share` folder.")
@click.option(
    "--binding",
    is_flag=True,
    help="Test which locks and supplier and formation rules bind: solve the instance "
    "once without each of them, from the plan.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="With --binding: seconds per solve (default 30).",
)
@_friendly
def report(
    plan_dir: Path,
    out: Path,
    instance: Path | None,
    shares: Path | None,
    binding: bool,
    time_limit: float | None,
) -> None:
    """Write one self-contained HTML page about a plan."""
    from consortia.outputs.html import write_report

    test = None
    if binding:
        from functools import partial

        from consortia.analysis.binding import BINDING_SECONDS, binding_of
        from consortia.solvers.options import SolveOptions

        def listen(k: int, total: int, item: Any, found: Any) -> None:
            click.echo(f"binding {k}/{total}: {item}: {found.verdict}", err=True)

        options = SolveOptions(time_limit or BINDING_SECONDS)
        test = partial(binding_of, options=options, listen=listen)
    written = write_report(plan_dir, out, instance, shares, test)
    click.echo(f"Report written to {written}")


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("scenarios_file", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path))
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Parallel worker processes.",
)
@click.option("--scheduler", default=None, help="Address of a Dask scheduler to solve on.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds per solve.",
)
@click.option("--gap", type=click.FloatRange(min=0), default=1e-6, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option("--quiet", is_flag=True, help="No progress.")
@click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=None)
@_friendly
def whatif(
    base: Path,
    scenarios_file: Path,
    out_dir: Path,
    workers: int,
    scheduler: str | None,
    time_limit: float | None,
    gap: float,
    seed: int,
    fmt: str,
    quiet: bool,
    ledger_path: Path | None,
) -> None:
    """Solve a base instance and every scenario of a TOML file, and compare them."""
    from consortia.analysis.ledger import Ledger
    from consortia.analysis.scenarios import read_scenarios
    from consortia.analysis.whatif import run_whatif
    from consortia.solvers.options import SolveOptions

    inst = _instance(base)
    scenarios = read_scenarios(scenarios_file)

    def done(name: str, result: Any, k: int, total: int) -> None:
        if quiet:
            return
        filled = int(20 * k / total)
        value = f"{result.objective:,.2f}" if result.has_plan else "no plan"
        click.echo(
            f"[{'#' * filled}{'.' * (20 - filled)}] {k}/{total} {name}: {value} ({result.status})",
            err=True,
        )

    table = run_whatif(
        inst,
        scenarios,
        out_dir,
        SolveOptions(time_limit, gap, seed),
        workers=workers,
        scheduler=scheduler,
        workbook=fmt == "xlsx",
        ledger=Ledger(ledger_path),
        on_done=done,
    )
    shown = table[["scenario", "status", "net_savings", "gap", "lots", "target_period"]]
    click.echo(shown.to_string(index=False))
    click.echo(f"Plans, comparison.csv, comparison.md and savings.svg written to {out_dir}/")


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for frontier.csv, frontier.svg, summary.json and the proof's plan "
    "(replaced atomically).",
)
@click.option(
    "--deadline",
    type=click.IntRange(min=1),
    default=None,
    help="With --vary: the period by which the target must be reached.",
)
@click.option(
    "--vary",
    type=click.Choice(["max_parallel_formations"]),
    default=None,
    help="With --deadline: find the smallest central limit of formations at once "
    "that reaches the target by the deadline.",
)
@click.option(
    "--target",
    "amount",
    type=click.FloatRange(min=0),
    default=None,
    help="Cumulative gross savings to reach (default: the instance's savings_target).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=TARGET_SECONDS,
    show_default=True,
    help="Seconds per solve (each period, each limit and the Whitehall figure is one "
    "solve); a period left undecided is reported as a range.",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0),
    default=1e-6,
    show_default=True,
    help="Relative gap at which each solve may stop (0 = proven optimum).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Solver random seed.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Parallel worker processes.",
)
@click.option("--scheduler", default=None, help="Address of a Dask scheduler to solve on.")
@click.option("--quiet", is_flag=True, help="No progress.")
@_friendly
def target(
    instance: Path,
    out_dir: Path,
    deadline: int | None,
    vary: str | None,
    amount: float | None,
    time_limit: float,
    gap: float,
    seed: int,
    workers: int,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """When is the savings target reached? The earliest period, with proof; with
    --deadline P --vary max_parallel_formations, the smallest central limit."""
    from consortia.analysis.target import run_target, target_of
    from consortia.cli.signals import stop_on_signals
    from consortia.errors import UsageError
    from consortia.folders import check_output_dir
    from consortia.solvers.options import SolveOptions

    if (deadline is None) != (vary is None):
        raise UsageError(
            "--deadline P and --vary max_parallel_formations go together: they ask for the "
            "smallest central limit that reaches the target by period P (without them, "
            "consortia target finds the earliest period)"
        )
    inst = _instance(instance)
    check_output_dir(out_dir, "target")
    target_of(inst, amount)  # no target: say so before solving

    def listen(event: str, item: Any) -> None:
        if quiet:
            return
        what = {"period": "period", "limit": "limit", "whitehall": "Whitehall"}[item.kind]
        key = f" {item.key}" if item.kind != "whitehall" else ""
        if event == "start":
            limit = item.options.time_limit
            within = "" if limit is None else f" (at most {limit:.0f}s)"
            click.echo(f"{what}{key}: solving{within}", err=True)
            return
        plan = "no plan" if item.plan is None else f"plan {item.plan:,.0f}"
        bound = (
            "no bound"
            if item.bound == float("inf")
            else "none feasible (proven)"
            if item.bound == -float("inf")
            else f"bound {item.bound:,.0f}"
        )
        click.echo(f"{what}{key}: {plan}, {bound} ({item.status}, {item.seconds:.1f}s)", err=True)

    with stop_on_signals(lambda text: click.echo(text, err=True)):
        result = run_target(
            inst,
            out_dir,
            SolveOptions(time_limit, gap, seed),
            target=amount,
            deadline=deadline,
            workers=workers,
            scheduler=scheduler,
            listener=listen,
        )
    if result.status == "infeasible":
        click.echo(result.sentence())
        click.echo(f"summary.json written to {out_dir}/")
        sys.exit(3)
    click.echo(result.table())
    click.echo(result.sentence())
    files = "frontier.csv, frontier.svg" if deadline is None else "capacity.csv"
    plan = ", the plan in plan/ (its instance in instance/)" if result.plan is not None else ""
    click.echo(f"{files}, summary.json{plan} written to {out_dir}/")


@main.command(cls=_Deferred, deferred=_formulations_option)
@click.argument("sets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds per solve.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for results.csv, results.md and profile.png (default bench/<date-time>).",
)
@click.option("--ledger", "ledger_path", type=click.Path(path_type=Path), default=None)
@click.option(
    "--gap",
    type=click.FloatRange(min=0),
    default=1e-6,
    show_default=True,
    help="Relative gap at which each solve may stop (use 1e-9 for imported CFLP "
    "instances: their savings carry a large constant).",
)
@_friendly
def bench(
    sets: tuple[Path, ...],
    formulations: str,
    time_limit: float,
    out_dir: Path | None,
    ledger_path: Path | None,
    gap: float,
) -> None:
    """Solve every instance of the sets with every formulation and compare."""
    import datetime as dt

    from consortia.analysis.bench import run_bench
    from consortia.errors import UsageError
    from consortia.solvers.registry import STRATEGIES

    names = [f.strip() for f in formulations.split(",") if f.strip()]
    unknown = [f for f in names if f not in STRATEGIES]
    if unknown or not names:
        raise UsageError(
            f"unknown formulation(s) {', '.join(unknown) or '(none)'} "
            f"(known: {', '.join(STRATEGIES)})"
        )
    out = out_dir or Path("bench") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")

    def done(k: int, total: int, row: dict) -> None:
        objective = row.get("objective")
        shown = "" if objective is None else f"{objective:,.2f}"
        click.echo(
            f"[{k}/{total}] {row['instance']} {row['formulation']}: {row['status']} "
            f"{shown} in {row.get('total_s', 0):.1f}s",
            err=True,
        )

    run_bench(
        list(sets),
        names,
        time_limit,
        out,
        str(ledger_path) if ledger_path else None,
        on_done=done,
        gap=gap,
    )
    click.echo((out / "results.md").read_text())
    click.echo(f"results.csv, results.md and profile.png written to {out}/")


@main.group("import")
def import_group() -> None:
    """Import instances from other problem formats."""


@import_group.command("cflp")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["orlib", "holmberg", "delmaire"]), required=True
)
@click.option(
    "--capacity",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Capacity of every facility (OR-Library capa/capb/capc leave it open).",
)
@click.option(
    "--published",
    type=float,
    default=None,
    help="Published single-source optimal cost, kept in cflp.json for `consortia bench`.",
)
@_friendly
def import_cflp_command(
    file: Path, out: Path, fmt: str, capacity: float | None, published: float | None
) -> None:
    """A capacitated facility location instance as a consortium instance."""
    import json

    from consortia.data.cflp import import_cflp

    written = import_cflp(file, fmt, out, capacity, published)
    click.echo(f"Instance written to {written}/ (CFLP cost = cflp.json offset - net savings)")
    left_out = json.loads((written / "cflp.json").read_text())["unservable"]
    if left_out:
        click.echo(
            f"Note: {len(left_out)} customer(s) ({', '.join(left_out[:5])}) need more than any "
            "facility's capacity, so no single-source plan serves everyone; plans leave "
            "them out and their CFLP cost is not comparable with published values."
        )


@main.group()
def runs() -> None:
    """The run ledger: list, show and compare recorded runs."""


_LEDGER = click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Run ledger (default .consortia/runs.sqlite, or $CONSORTIA_LEDGER).",
)


@runs.command("list")
@_LEDGER
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True)
@_friendly
def runs_list(ledger_path: Path | None, last: int) -> None:
    """The most recent runs, newest first."""
    from consortia.analysis.ledger import Ledger

    rows = Ledger(ledger_path).runs(last)
    if not rows:
        click.echo("No runs recorded yet.")
        return
    click.echo(
        f"{'id':>4} {'created':<25} {'command':<8} {'instance':<28} {'status':<9} "
        f"{'objective':>16} {'gap':>8}"
    )
    for r in rows:
        gap = "" if r["gap"] is None else f"{r['gap']:.2%}"
        objective = "" if r["objective"] is None else f"{r['objective']:,.2f}"
        click.echo(
            f"{r['id']:>4} {r['created']:<25} {r['command']:<8} "
            f"{Path(r['instance']).name[:28]:<28} {r['status']:<9} {objective:>16} {gap:>8}"
        )


@runs.command("show")
@click.argument("run_id", type=int)
@_LEDGER
@_friendly
def runs_show(run_id: int, ledger_path: Path | None) -> None:
    """Everything recorded about one run."""
    from consortia.analysis.ledger import FIELDS, Ledger

    row = Ledger(ledger_path).get(run_id)
    for key in FIELDS:
        click.echo(f"{key:<16} {row[key]}")


@runs.command("compare")
@click.argument("first", type=int)
@click.argument("second", type=int)
@_LEDGER
@_friendly
def runs_compare(first: int, second: int, ledger_path: Path | None) -> None:
    """Two runs side by side, with the differences marked."""
    from consortia.analysis.ledger import FIELDS, Ledger

    ledger = Ledger(ledger_path)
    a, b = ledger.get(first), ledger.get(second)
    for key in FIELDS:
        mark = " " if a[key] == b[key] else "*"
        click.echo(f"{mark} {key:<16} {str(a[key])[:40]:<40} {str(b[key])[:40]}")
    if a["objective"] is not None and b["objective"] is not None:
        click.echo(f"  objective difference {b['objective'] - a['objective']:+,.2f}")


if __name__ == "__main__":  # pragma: no cover
    main()
