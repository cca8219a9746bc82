from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
INSTANCES = ROOT / "instances"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the demo instance."""
    target = tmp_path / "demo"
    shutil.copytree(INSTANCES / "demo", target)
    return target


@pytest.fixture
def pooling_copy(tmp_path: Path) -> Path:
    target = tmp_path / "pooling"
    shutil.copytree(FIXTURES / "pooling", target)
    return target


@pytest.fixture(scope="session")
def auto_without_memory():
    """auto on small/s20-seed4 with no memory left for the compact finish, time limit
    20 s: a solve of about 10 s that tests in two files check (solved once in each
    process that runs them)."""
    from consortia import SolveOptions, read_instance
    from consortia.solvers.registry import solve

    inst = read_instance(INSTANCES / "small" / "s20-seed4")
    return solve(inst, SolveOptions(time_limit=20, memory_limit=1e-6))


@pytest.fixture(autouse=True)
def _private_ledger(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Runs recorded by the tests go to a temporary ledger, not the working tree."""
    monkeypatch.setenv("CONSORTIA_LEDGER", str(tmp_path_factory.mktemp("ledger") / "runs.sqlite"))
