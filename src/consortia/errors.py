"""Errors a user can act on, and the problems found in an instance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an instance: where it is and what is wrong.

    ``row`` is the row as a spreadsheet shows it (spec §8, v2): the header is row
    1 and the first data row is row 2, for a CSV file its line number; ``None``
    when the problem concerns a whole table or column.
    """

    table: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class ConsortiaError(Exception):
    """Base class of errors reported to users as a sentence (exit code 2)."""


class InvalidInstanceError(ConsortiaError):
    """The instance has one or more problems; all of them are listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_order)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the instance has {len(self.problems)} problem(s):\n{lines}")


def _problem_order(p: Problem) -> tuple[str, int, str, str]:
    return (p.table, p.row if p.row is not None else 0, p.column or "", p.message)


class UsageError(ConsortiaError):
    """An option or file given on the command line cannot be used."""


class ModelTooLarge(ConsortiaError):
    """A model would not fit in the memory or time left; said before building it.
    ``resource`` is ``"memory"`` or ``"time"``."""

    def __init__(self, message: str, resource: str):
        super().__init__(message)
        self.resource = resource
