"""Output folders and files that never destroy what the user had (spec section 8, v2).

Every command that writes a folder marks it with a small file ``.consortia-output``
naming the command and the files it wrote. A folder is created when it does not
exist and replaced only when it is empty or holds nothing but what the same
command wrote there; anything else (an instance, a user's files, a previous
output with a file added, a path that is a file) is refused with a
:class:`UsageError` before anything is written, and is left untouched.

Single output files (``report``'s HTML page, ``export``'s model, ``generate``'s
workbook) follow the same rule: an existing file is replaced only when it carries
the command's mark (a comment or a workbook property written with it).

What is written gets the permissions a plain ``mkdir`` or ``open`` would give
under the user's umask (0755 and 0644 with umask 022), not the owner-only ones of
the temporary folder or file it is first written as.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from consortia.errors import UsageError

MARK_FILE = ".consortia-output"


def mark_text(command: str) -> str:
    """The words that mark a file or folder as written by `consortia <command>`."""
    return f"written by consortia {command}"


def check_output_dir(target: Path, command: str) -> None:
    """Refuse `target` unless it is absent, an empty folder or a previous output of
    the same command."""
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir() or target.is_symlink():
        raise UsageError(
            f"'{target}' is a file, not a folder: the output of '{command}' would replace "
            "it; choose a new folder"
        )
    entries = list(target.iterdir())
    if not entries:
        return
    command_of, written = _mark_of(target)
    foreign = sorted({e.name for e in entries} - written - {MARK_FILE})
    if command_of == command and not foreign:
        return
    if command_of != command:
        foreign = sorted(e.name for e in entries)
    raise UsageError(
        f"'{target}' holds files that 'consortia {command}' did not write "
        f"({_some(foreign)}); it is left untouched: choose a new or empty folder, "
        f"or a previous output of 'consortia {command}'"
    )


def _mark_of(folder: Path) -> tuple[str | None, set[str]]:
    """The command that wrote `folder` and the names it wrote (None, {} if unmarked)."""
    try:
        data = json.loads((folder / MARK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, set()
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        return None, set()
    files = data.get("files")
    names = {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()
    return data["command"], names


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def mark_dir(folder: Path, command: str) -> None:
    """Record in `folder` that `command` wrote it, and which names it wrote."""
    files = sorted(p.name for p in folder.iterdir() if p.name != MARK_FILE)
    mark = {"command": command, "note": mark_text(command), "files": files}
    (folder / MARK_FILE).write_text(json.dumps(mark, indent=1) + "\n", encoding="utf-8")


@contextmanager
def output_dir(target: str | Path, command: str) -> Iterator[Path]:
    """A temporary folder beside `target` to write into; on leaving the block
    without an error it is marked and renamed into place in one step, otherwise
    it is removed. `target` is checked before the block starts and again just
    before the rename."""
    out = Path(target)
    check_output_dir(out, command)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    plain_mode(tmp)
    try:
        yield tmp
        mark_dir(tmp, command)
        check_output_dir(out, command)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def current_umask() -> int:
    """The process's umask. Reading it means setting it: it is set to 0o077 for that
    instant, so that a file another thread creates meanwhile is private, not open."""
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def plain_mode(path: Path) -> None:
    """Give `path` the mode ``mkdir`` or ``open`` would have given it under the current
    umask (0o777 or 0o666 less the umask), as ``tempfile`` makes them owner-only."""
    full = 0o777 if path.is_dir() else 0o666
    os.chmod(path, full & ~current_umask())


def _replace_dir(new: Path, target: Path) -> None:
    """Put folder `new` in place of `target` (absent, empty or a previous output)."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.rename(target, old / "x")
        os.rename(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(new, target)


def check_output_file(target: Path, command: str) -> None:
    """Refuse `target` unless it is absent or a file carrying the command's mark."""
    if not target.exists():
        return
    if target.is_dir():
        raise UsageError(
            f"'{target}' is a folder: 'consortia {command}' writes a file; choose a file name"
        )
    if not _file_marked(target, command):
        raise UsageError(
            f"'{target}' exists and was not written by 'consortia {command}'; it is left "
            "untouched: choose a new file name"
        )


def _file_marked(path: Path, command: str) -> bool:
    mark = mark_text(command).encode()
    if path.suffix.lower() == ".xlsx":
        try:
            with zipfile.ZipFile(path) as book:
                return mark in book.read("docProps/core.xml")
        except (OSError, KeyError, zipfile.BadZipFile):
            return False
    try:
        with open(path, "rb") as fh:
            return mark in fh.read(4096)
    except OSError:
        return False


def write_output_file(target: str | Path, command: str, write: Callable[[Path], object]) -> Path:
    """Check `target`, let `write` fill a temporary file beside it (which must carry
    the command's mark), then rename it into place."""
    out = Path(target)
    check_output_file(out, command)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        plain_mode(tmp)
        check_output_file(out, command)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
