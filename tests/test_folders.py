"""No writing command destroys a file or folder it did not write (spec section 8, v2)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, INSTANCES
from consortia.cli import main

# a two-facility, four-customer OR-Library file (capacity, fixed cost; demand, costs)
CFLP_TEXT = "2 4\n50. 100.\n60. 120.\n10 1.0 2.0\n20 2.0 1.0\n15 1.5 1.5\n5 3.0 1.0\n"
# the set that bench solves: the files it writes are the same for one instance or many
BENCH_SET = ["capacity"]


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def snapshot(path: Path) -> dict[str, str]:
    """Every file below `path` (or the file itself) with the hash of its bytes."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    out = tmp_path / "plan"
    code, output = run("solve", FIXTURES / "pooling", "--out", out, "--quiet")
    assert code == 0, output
    (tmp_path / "cap.txt").write_text(CFLP_TEXT)
    for name in BENCH_SET:
        shutil.copytree(INSTANCES / "tiny" / name, tmp_path / "bench-set" / name)
    return out


def _commands(target: Path, plan: Path) -> dict[str, list[object]]:
    """Each writing command, writing to `target`."""
    return {
        "solve": ["solve", FIXTURES / "pooling", "--out", target, "--quiet"],
        "share": ["share", FIXTURES / "pooling", plan, "--out", target],
        "whatif": [
            "whatif",
            INSTANCES / "demo",
            INSTANCES / "demo" / "scenarios.toml",
            "--out",
            target,
            "--quiet",
        ],
        "bench": ["bench", plan.parent / "bench-set", "--out", target, "--time-limit", "5"],
        "generate": ["generate", target, "--orgs", "6"],
        "import": ["import", "cflp", plan.parent / "cap.txt", target, "--format", "orlib"],
    }


FOLDER_COMMANDS = ["solve", "share", "whatif", "bench", "generate", "import"]


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_an_instance_folder_is_refused_and_left_untouched(
    command: str, demo_copy: Path, plan_dir: Path
) -> None:
    before = snapshot(demo_copy)
    code, out = run(*_commands(demo_copy, plan_dir)[command])
    assert code == 2, out
    assert "left untouched" in out and "Traceback" not in out
    assert snapshot(demo_copy) == before
    assert not list(demo_copy.parent.glob(".demo*"))  # no temporary folder left


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_a_file_is_refused_and_left_untouched(command: str, tmp_path: Path, plan_dir: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes\n")
    code, out = run(*_commands(target, plan_dir)[command])
    assert code == 2, out
    assert "is a file" in out
    assert target.read_text() == "my notes\n"


@pytest.mark.parametrize("command", ["solve", "share", "generate", "import"])
def test_a_previous_output_of_the_same_command_is_replaced(
    command: str, tmp_path: Path, plan_dir: Path
) -> None:
    target = tmp_path / "out"
    args = _commands(target, plan_dir)[command]
    assert run(*args)[0] == 0
    first = snapshot(target)
    code, out = run(*args)
    assert code == 0, out
    assert snapshot(target).keys() == first.keys()
    mark = json.loads((target / ".consortia-output").read_text())
    assert mark["command"] == command


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    code, out = run("solve", FIXTURES / "pooling", "--out", target, "--quiet")
    assert code == 0, out
    assert (target / "lots.csv").is_file()


def test_another_commands_output_is_refused(tmp_path: Path, plan_dir: Path) -> None:
    before = snapshot(plan_dir)
    code, out = run("share", FIXTURES / "pooling", plan_dir, "--out", plan_dir)
    assert code == 2 and "did not write" in out
    assert snapshot(plan_dir) == before


def test_a_previous_output_with_a_users_file_added_is_refused(plan_dir: Path) -> None:
    (plan_dir / "my-notes.txt").write_text("mine\n")
    before = snapshot(plan_dir)
    code, out = run("solve", FIXTURES / "pooling", "--out", plan_dir, "--quiet")
    assert code == 2 and "my-notes.txt" in out
    assert snapshot(plan_dir) == before


def test_solve_into_its_own_instance_keeps_the_instance(demo_copy: Path) -> None:
    before = snapshot(demo_copy)
    code, out = run("solve", demo_copy, "--out", demo_copy, "--quiet")
    assert code == 2 and "left untouched" in out
    assert snapshot(demo_copy) == before


@pytest.mark.parametrize(
    "command",
    [
        lambda target, plan: ["report", plan, "--out", target],
        lambda target, plan: ["export", FIXTURES / "pooling", target, "--format", "lp"],
        lambda target, plan: ["generate", target, "--orgs", "6"],
    ],
    ids=["report", "export", "generate-xlsx"],
)
def test_file_outputs_never_replace_a_users_file(command, tmp_path: Path, plan_dir: Path) -> None:
    suffix = {"report": ".html", "export": ".lp"}.get(command(Path("x"), plan_dir)[0], ".xlsx")
    users = tmp_path / f"users{suffix}"
    users.write_bytes(b"the user's own file\n")
    code, out = run(*command(users, plan_dir))
    assert code == 2 and "left untouched" in out
    assert users.read_bytes() == b"the user's own file\n"
    # a folder in place of the file is refused too
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    (folder / "keep.txt").write_text("k")
    code, out = run(*command(folder, plan_dir))
    assert code == 2 and (folder / "keep.txt").read_text() == "k"
    # the command's own previous file is replaced
    own = tmp_path / f"own{suffix}"
    assert run(*command(own, plan_dir))[0] == 0
    code, out = run(*command(own, plan_dir))
    assert code == 0, out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[Path, int]:
    paths = [root] if root.is_file() else [root, *root.rglob("*")]
    return {p: p.stat().st_mode & 0o777 for p in paths}


SLOW = {"whatif", "bench"}
UMASKS = [0o022, 0o027]


@pytest.mark.parametrize(
    "command,umask",
    [(c, m) for c in FOLDER_COMMANDS for m in UMASKS if c not in SLOW or m == 0o027],
)
def test_written_folders_and_files_get_the_umask_permissions(
    command: str, umask: int, tmp_path: Path, plan_dir: Path
) -> None:
    target = tmp_path / "out"
    with _umask(umask):
        code, out = run(*_commands(target, plan_dir)[command])
    assert code == 0, out
    modes = _modes(target)
    assert len(modes) > 2 and (target / ".consortia-output").is_file()
    for path, mode in modes.items():
        assert mode == (0o777 if path.is_dir() else 0o666) & ~umask, (path, oct(mode))


@pytest.mark.parametrize(
    "command",
    [
        lambda target, plan: ["report", plan, "--out", target],
        lambda target, plan: ["export", FIXTURES / "pooling", target, "--format", "lp"],
        lambda target, plan: ["generate", target, "--orgs", "6"],
    ],
    ids=["report", "export", "generate-xlsx"],
)
@pytest.mark.parametrize("umask", UMASKS)
def test_written_files_get_the_umask_permissions(
    command, umask: int, tmp_path: Path, plan_dir: Path
) -> None:
    suffix = {"report": ".html", "export": ".lp"}.get(command(Path("x"), plan_dir)[0], ".xlsx")
    target = tmp_path / f"out{suffix}"
    for _ in range(2):  # written new, then replacing its own previous file
        with _umask(umask):
            code, out = run(*command(target, plan_dir))
        assert code == 0, out
        assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_replaced_folder_gets_the_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    with _umask(0o077):
        assert run("solve", FIXTURES / "pooling", "--out", target, "--quiet")[0] == 0
    assert target.stat().st_mode & 0o777 == 0o700
    with _umask(0o022):
        assert run("solve", FIXTURES / "pooling", "--out", target, "--quiet")[0] == 0
    assert target.stat().st_mode & 0o777 == 0o755
    assert (target / "lots.csv").stat().st_mode & 0o777 == 0o644
