"""The HTML report, opened in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from browser import BASE_FLAGS, CHROMIUM, NO_BROWSER
from click.testing import CliRunner

from conftest import INSTANCES
from consortia import read_instance, solve, write_result
from consortia.cli import main

FLAGS = [*BASE_FLAGS, "--enable-logging=stderr", "--v=0"]


def _plan(tmp_path: Path, name: str = "demo") -> Path:
    inst = read_instance(INSTANCES / name) if name == "demo" else read_instance(name)
    return write_result(solve(inst), tmp_path / "plan")


def test_report_is_self_contained_and_has_the_key_numbers(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "189,343.67" in page and "2028Q4" in page
    for section in (
        "Savings ramp",
        "Formation and live periods",
        "Spend against the baseline",
        "UK financial year",
        "By category",
        "By region",
        "By sector",
        "against capacity",
        "collaboration graph",
        "<table>",
    ):
        assert section in page
    assert (
        "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        and "https://" not in page
    )


def test_report_refuses_a_folder_without_a_plan(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "summary.json" in result.output


def test_report_refuses_the_wrong_instance(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "report",
            str(plan),
            "--out",
            str(tmp_path / "r.html"),
            "--instance",
            str(INSTANCES / "tiny" / "capacity"),
        ],
    )
    assert result.exit_code == 2 and "not the one" in result.output


def _distinct_colours(png: bytes) -> int:
    """Number of distinct byte values in the decompressed image data (blank: very few)."""
    pos, data = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(data)))


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
def test_report_in_a_headless_browser(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    out = tmp_path / "report.html"
    CliRunner().invoke(main, ["report", str(plan), "--out", str(out)])
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", out.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "189,343.67" in dom.stdout and "optimal" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and _distinct_colours(shot.read_bytes()) > 20


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
def test_console_errors_would_be_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    run = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p'}", "--dump-dom", bad.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert any("CONSOLE" in line and "Uncaught" in line for line in run.stderr.splitlines())
