"""Ctrl-C during a solve, with a real signal on a running process: the first
writes the best checked plan so far, a second aborts and writes nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import INSTANCES

LONG = INSTANCES / "medium" / "m200-seed1"  # far from proven within a few seconds


def _start(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "consortia.cli",
            "solve",
            str(LONG),
            "--out",
            str(out),
            "--quiet",
            "--time-limit",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_search(proc: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    assert proc.poll() is None, proc.communicate()


def test_first_interrupt_writes_the_best_plan_so_far(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    proc = _start(out)
    _wait_for_search(proc, 8.0)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Stopping" in stderr
    assert time.perf_counter() - sent < 60
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "feasible" and summary["objective"] > 0
    assert summary["stop_reason"].startswith("stopped by Ctrl-C with a plan")
    check = subprocess.run(
        [sys.executable, "-m", "consortia.cli", "check", str(LONG), str(out)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_second_interrupt_aborts_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    proc = _start(out)
    _wait_for_search(proc, 8.0)
    # two different signals back to back: both are pending before the stopped
    # search can finish writing, so the second always finds the first
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "nothing was written" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".plan*"))
